"""Connector for the VNG Klantinteracties API (Open Klant): klantcontacten with betrokkene and onderwerpobject.

`KlantinteractiesClient` is the peer `klantinteracties`, registered in `hub.peers` on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.klantinteracties.client import KlantinteractiesClient
from connectors.klantinteracties.settings import KlantinteractiesSettings
from hub.peers import register_peer
from hub.ports.klantinteracties import (
    KlantcontactRecord,
    KlantinteractiesPort,
    MaakKlantcontactResult,
    PartijRecord,
    Reference,
)

if TYPE_CHECKING:
    from hub.config import Settings

PEER = "klantinteracties"


def peer_factory(settings: Settings) -> KlantinteractiesPort:
    section: Any = getattr(settings, "klantinteracties", None) or KlantinteractiesSettings()
    return KlantinteractiesClient.from_settings(section)


register_peer(PEER, peer_factory)

__all__ = ["PEER", "KlantcontactRecord", "KlantinteractiesClient", "KlantinteractiesSettings",
           "MaakKlantcontactResult", "PartijRecord", "Reference", "peer_factory"]
