"""The connector registry: peer name → factory(settings). Imports nothing of the hub's settings,
so a connector package can register itself at import time even while `hub.settings` is loading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: name → factory(settings) building the connector; `Hub.peers.<name>` calls it on first use.
PEER_FACTORIES: dict[str, Callable[[Any], Any]] = {}


def factory_for(name: str) -> Callable[[Any], Any] | None:
    """The factory of peer `name` (None: no such peer is registered)."""
    return PEER_FACTORIES.get(name)


def peer_names() -> set[str]:
    """Every peer a hub can build: those whose connector package has been imported (`hub.config` imports each)."""
    return set(PEER_FACTORIES)


def register_peer(name: str, factory: Callable[[Any], Any]) -> None:
    """Add (or replace) a connector factory."""
    PEER_FACTORIES[name] = factory
