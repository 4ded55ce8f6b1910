"""The connector registry: peer name → factory(settings). Imports nothing of the hub's settings,
so a connector package can register itself at import time even while `hub.settings` is loading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: name → factory(settings) building the connector; `Hub.peers.<name>` calls it on first use.
PEER_FACTORIES: dict[str, Callable[[Any], Any]] = {}


def register_peer(name: str, factory: Callable[[Any], Any]) -> None:
    """Add (or replace) a connector factory."""
    PEER_FACTORIES[name] = factory
