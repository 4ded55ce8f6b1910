"""Connector for the VNG Klantinteracties API (Open Klant): klantcontacten with betrokkene and onderwerpobject.

`KlantinteractiesClient` is the peer `klantinteracties` (registered like the Salesforce connector: here
when safe, and by the contact-moments flow through `register_peer()`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from connectors.klantinteracties.client import (
    KlantcontactRecord,
    KlantinteractiesClient,
    MaakKlantcontactResult,
    Reference,
)
from connectors.klantinteracties.settings import KlantinteractiesSettings

if TYPE_CHECKING:
    from hub.settings import Settings

PEER = "klantinteracties"


def peer_factory(settings: Settings) -> KlantinteractiesClient:
    section: Any = getattr(settings, "klantinteracties", None) or KlantinteractiesSettings()
    return KlantinteractiesClient.from_settings(section)


def register_peer() -> None:
    """Add `klantinteracties` to `hub.bootstrap.PEER_FACTORIES` (idempotent)."""
    from hub.bootstrap import PEER_FACTORIES

    PEER_FACTORIES.setdefault(PEER, peer_factory)


_settings_module = sys.modules.get("hub.settings")
if _settings_module is None or hasattr(_settings_module, "Settings"):  # not mid-import of hub.settings
    register_peer()

__all__ = ["PEER", "KlantcontactRecord", "KlantinteractiesClient", "KlantinteractiesSettings",
           "MaakKlantcontactResult", "Reference", "peer_factory", "register_peer"]
