"""Outbound connector to TIP: the hub's own CloudEvents, signed Standard-Webhooks style, retried with backoff.

Any flow may publish through `ctx.peers.tip.publish(event)`; importing this package registers the peer
`tip` in `hub.bootstrap.PEER_FACTORIES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.tip.publisher import CE_JSON, CONNECTOR, TipPublisher, encode
from connectors.tip.settings import TipSettings
from connectors.tip.signing import secret_key, sign, webhook_headers

if TYPE_CHECKING:
    from hub.settings import Settings


def _factory(settings: Settings) -> TipPublisher:
    return TipPublisher.from_settings(settings.tip)


def register_peer() -> None:
    """Add the peer `tip` to `hub.bootstrap.PEER_FACTORIES` (idempotent)."""
    from hub.bootstrap import PEER_FACTORIES

    PEER_FACTORIES["tip"] = _factory


try:
    register_peer()
except ImportError:  # hub.bootstrap is half-imported (it imports hub.settings, which imports TipSettings)
    pass  # flows using `tip` call register_peer() again once the hub is importable

__all__ = ["CE_JSON", "CONNECTOR", "TipPublisher", "TipSettings", "encode", "register_peer", "secret_key", "sign",
           "webhook_headers"]
