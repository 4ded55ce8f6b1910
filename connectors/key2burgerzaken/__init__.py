"""Connector for Key2Burgerzaken document status: a read-only database view (Oracle in production).

`Key2BurgerzakenClient` reads rows of the configured view (`Key2BurgerzakenSettings`); importing this
package registers the peer `key2burgerzaken` in `hub.peers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.key2burgerzaken.client import CONNECTOR, Key2BurgerzakenClient, make_engine
from connectors.key2burgerzaken.models import DocumentRow
from connectors.key2burgerzaken.settings import Key2BurgerzakenSettings, ViewColumns
from connectors.key2burgerzaken.source import DocumentSource
from connectors.key2burgerzaken.view import Cursor, DocumentView
from hub.peers import register_peer
from hub.ports.documents import DocumentStatusPort

if TYPE_CHECKING:
    from hub.config import Settings


def _factory(settings: Settings) -> DocumentStatusPort:
    return Key2BurgerzakenClient.from_settings(settings.key2burgerzaken)


register_peer("key2burgerzaken", _factory)

__all__ = [
    "CONNECTOR",
    "Cursor",
    "DocumentRow",
    "DocumentSource",
    "DocumentView",
    "Key2BurgerzakenClient",
    "Key2BurgerzakenSettings",
    "ViewColumns",
    "make_engine",
]
