"""The composition root: wires settings, store, registry, runtime and peers into one Hub."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any, cast

import hub.ports.register_vendors  # registers the peer `register` (the configured vendor's adapter)
import hub.store.ops_tables  # the alerts table belongs to the metadata (truncation, checks)
import hub.store.waste_depot_tables  # noqa: F401 - the gate's tables belong to the metadata (truncation, checks)
from hub import tracing
from hub.audit import AuditLog
from hub.breaker import Breaker, Guarded
from hub.config import Settings, get_settings
from hub.intake import Intake
from hub.links import LinkStore
from hub.locks import LockManager
from hub.peers import PEER_FACTORIES
from hub.ports.register import AppointmentRegister
from hub.registry import REGISTRY, FlowRegistry, load_flow_modules
from hub.store.db import Database
from hub.store.tables import utcnow


class Peers:
    """Connectors to peer systems, built on first use; tests pass fakes as overrides."""

    def __init__(self, settings: Settings, overrides: dict[str, Any] | None = None) -> None:
        self._settings = settings
        self._cache: dict[str, Any] = dict(overrides or {})
        self._building = threading.Lock()
        #: When set, every connector is handed out behind it (`hub.breaker.Guarded`).
        self._breaker: Breaker | None = None
        self._guarded: dict[str, Guarded] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._get(name)

    @property
    def register(self) -> AppointmentRegister:
        """The appointment register, through its port (the adapter `AFSPRAKENHUB_REGISTER__VENDOR` names)."""
        return cast(AppointmentRegister, self._get("register"))

    def _get(self, name: str) -> Any:
        if name not in self._cache:
            factory = PEER_FACTORIES.get(name)
            if factory is None:
                raise AttributeError(f"no connector named {name!r}")
            with self._building:  # two worker threads must not each build (and one leak) the same client
                if name not in self._cache:
                    self._cache[name] = factory(self._settings)
        if self._breaker is None:
            return self._cache[name]
        target = self._cache[name]
        guarded = self._guarded.get(name)
        if guarded is None or not guarded.is_guarding(target):  # built once, or the peer was replaced
            guarded = self._guarded[name] = Guarded(name, target, self._breaker)
        return guarded

    def guard_with(self, breaker: Breaker | None) -> None:
        """Hand out connectors behind `breaker` from now on (None: bare)."""
        self._breaker = breaker
        self._guarded.clear()

    def close(self) -> None:
        for peer in self._cache.values():
            close = getattr(peer, "close", None)
            if callable(close):
                close()


class Hub:
    """Everything a flow, the API and the CLI need, in one place."""

    def __init__(self, settings: Settings | None = None, *, registry: FlowRegistry | None = None,
                 peers: dict[str, Any] | None = None, now: Callable[[], datetime] = utcnow,
                 load_flows: bool = True, worker_name: str | None = None) -> None:
        self.settings = settings or get_settings()
        self.now = now
        if registry is None:
            if load_flows:
                load_flow_modules(self.settings.flow_modules)
            registry = REGISTRY
        self.registry = registry
        self.db = Database(self.settings.database_url, self.settings.store)
        self.links = LinkStore(self.db, now)
        self.locks = LockManager(self.db, now)
        self.audit = AuditLog(self.db, now, self.settings.ldv)
        self.intake = Intake(self.db, self.registry, now, self, routes=self.settings.event_routes)
        self.peers = Peers(self.settings, peers)
        self.breaker = Breaker(self, self.settings.breaker)
        if self.settings.breaker.enabled:
            self.peers.guard_with(self.breaker)
        self.worker_name = worker_name or f"{socket.gethostname()}:{id(self):x}"
        #: Called by `close()` before the store is disposed (e.g. background writers flushing).
        self.on_close: list[Callable[[], None]] = []
        span_export = tracing.start_export(self.settings.tracing)  # OTLP/HTTP when configured
        if span_export is not None:
            self.on_close.append(lambda: tracing.remove_processor(span_export))

    @cached_property
    def runtime(self) -> Any:
        from hub.runtime import Runtime

        return Runtime(self, self.settings.broker_url, self.worker_name)

    def close(self) -> None:
        for closer in self.on_close:
            closer()
        if "runtime" in self.__dict__:
            self.runtime.stop()
        self.peers.close()
        self.db.dispose()
