"""Outbound connector to TIP: the hub's own CloudEvents, signed Standard-Webhooks style, retried with backoff.

Any flow may publish through `ctx.peers.tip.publish(event)`; importing this package registers the peer
`tip` in `hub.peers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.tip.publisher import CE_JSON, CONNECTOR, TipPublisher, encode
from connectors.tip.settings import TipSettings
from connectors.tip.signing import secret_key, sign, webhook_headers
from hub.peers import register_peer
from hub.ports.publisher import EventPublisher

if TYPE_CHECKING:
    from hub.config import Settings


def _factory(settings: Settings) -> EventPublisher:
    return TipPublisher.from_settings(settings.tip)


register_peer("tip", _factory)

__all__ = ["CE_JSON", "CONNECTOR", "TipPublisher", "TipSettings", "encode", "secret_key", "sign",
           "webhook_headers"]
