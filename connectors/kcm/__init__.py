"""Connector for KCM (Klant Contact Monitor): delivers survey invitation files by SFTP or HTTPS upload.

`KcmClient.from_settings(KcmSettings)` picks the protocol. Importing this package registers the peer
`kcm` in `hub.peers`.
"""

from __future__ import annotations

from typing import Any

from connectors.kcm.client import KcmClient
from connectors.kcm.errors import CONNECTOR
from connectors.kcm.https import HttpsTransport, content_digest
from connectors.kcm.models import Receipt, RemoteFile
from connectors.kcm.settings import KcmSettings
from connectors.kcm.sftp import SftpTransport
from connectors.kcm.transport import PART_SUFFIX, Transport
from hub.peers import register_peer
from hub.ports.surveys import SurveyDrop
from hub.ports.surveys_types import sha256_hex


def _factory(settings: Any) -> SurveyDrop:
    return KcmClient.from_settings(settings.kcm)


register_peer(CONNECTOR, _factory)

__all__ = [
    "CONNECTOR",
    "PART_SUFFIX",
    "HttpsTransport",
    "KcmClient",
    "KcmSettings",
    "Receipt",
    "RemoteFile",
    "SftpTransport",
    "Transport",
    "content_digest",
    "sha256_hex",
]
