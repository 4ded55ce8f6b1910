"""Connector for Haal Centraal "BRP Personen Bevragen" (verifying a self-declared BSN).

`BrpClient` is the peer `brp`, registered in `hub.peers` on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.brp.client import FIELDS, QUERY_TYPE, BrpClient, PersonenAntwoord, Persoon
from connectors.brp.settings import BrpSettings
from hub.peers import register_peer
from hub.ports.brp import PersonRegistry

if TYPE_CHECKING:
    from hub.config import Settings

PEER = "brp"


def peer_factory(settings: Settings) -> PersonRegistry:
    """The `brp` peer of a Hub."""
    section: Any = getattr(settings, "brp", None) or BrpSettings()
    return BrpClient.from_settings(section)


register_peer(PEER, peer_factory)

__all__ = ["FIELDS", "PEER", "QUERY_TYPE", "BrpClient", "BrpSettings", "PersonenAntwoord", "Persoon",
           "peer_factory"]
