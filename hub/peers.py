"""The connector registry: peer name → factory(settings). Imports nothing of the hub's settings,
so a connector package can register itself at import time even while `hub.settings` is loading."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: name → factory(settings) building the connector; `Hub.peers.<name>` calls it on first use.
PEER_FACTORIES: dict[str, Callable[[Any], Any]] = {}


#: name → the module that registers its factory, imported on first use (`hub.bootstrap.Peers.get`): the hub
#: names its adapters here as text, so neither it nor a flow imports a connector. A new peer adds one line.
PEER_MODULES: dict[str, str] = {
    "brp": "connectors.brp",
    "datalake": "connectors.datalake",
    "jcc": "connectors.jcc",
    "kcm": "connectors.kcm",
    "key2burgerzaken": "connectors.key2burgerzaken",
    "klantinteracties": "connectors.klantinteracties",
    "nrc": "connectors.zgw",
    "outlook": "connectors.outlook",
    "passes": "connectors.passes",
    "register": "hub.ports.register_vendors",
    "rostarcas": "connectors.rostarcas",
    "salesforce": "connectors.salesforce",
    "tip": "connectors.tip",
    "zgw": "connectors.zgw",
}


def factory_for(name: str) -> Callable[[Any], Any] | None:
    """The factory of peer `name`, importing its registering module first if need be (None: no such peer)."""
    if name not in PEER_FACTORIES and name in PEER_MODULES:
        importlib.import_module(PEER_MODULES[name])
    return PEER_FACTORIES.get(name)


def peer_names() -> set[str]:
    """Every peer a hub can build (registered, or named in `PEER_MODULES`)."""
    return set(PEER_FACTORIES) | set(PEER_MODULES)


def register_peer(name: str, factory: Callable[[Any], Any]) -> None:
    """Add (or replace) a connector factory."""
    PEER_FACTORIES[name] = factory
