"""The composition root: wires settings, store, registry, runtime and peers into one Hub."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar, cast, overload

import connectors.jcc  # noqa: F401 - registers the peer `jcc` (the conversion's source; no section of its own)
import hub.ports.register_vendors  # registers the peer `register` (the configured vendor's adapter)
import hub.store.ops_tables  # the alerts table belongs to the metadata (truncation, checks)
import hub.store.survey_tables  # the survey batches and respondents belong to the metadata (truncation, checks)
import hub.store.waste_depot_tables  # noqa: F401 - the gate's tables belong to the metadata (truncation, checks)
from hub import metrics, tracing
from hub.audit import AuditLog
from hub.breaker import Breaker, Guarded
from hub.config import Settings, get_settings
from hub.console.headroom import note_rate_limit_headers
from hub.intake import Intake
from hub.links import LinkStore
from hub.locks import LockManager
from hub.peers import factory_for
from hub.ports.brp import PersonRegistry
from hub.ports.calendar import CalendarPort
from hub.ports.datalake import LakeOpener
from hub.ports.documents import DocumentStatusPort
from hub.ports.klantinteracties import KlantinteractiesPort
from hub.ports.passes import PassSource
from hub.ports.publisher import EventPublisher
from hub.ports.register import AppointmentRegister
from hub.ports.roster import RosterPort
from hub.ports.salesforce import SalesforcePort
from hub.ports.surveys import SurveyDrop
from hub.ports.zaken import ZakenPort
from hub.registry import REGISTRY, FlowRegistry, load_flow_modules
from hub.store.db import Database
from hub.store.tables import utcnow

P = TypeVar("P")


class PeerSlot(Generic[P]):
    """A typed property of `Peers`: reading builds the peer once (or returns it, behind the breaker when one is
    set); assigning replaces it, e.g. `hub.peers.outlook = FakeCalendar()` in a test."""

    name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, peers: None, owner: type) -> PeerSlot[P]: ...

    @overload
    def __get__(self, peers: Peers, owner: type) -> P: ...

    def __get__(self, peers: Peers | None, owner: type) -> PeerSlot[P] | P:
        if peers is None:
            return self
        # A `Guarded` wrapper forwards every method of the port it wraps, so it stands for the port.
        return cast(P, peers.get(self.name))

    def __set__(self, peers: Peers, peer: P) -> None:
        peers.replace(self.name, peer)


class Peers:
    """The hub's peers, each through its port (`hub.ports`); connectors are built on first use, once.

    A connector package registers its factory in `hub.peers.PEER_FACTORIES` on import (`hub.config` imports each
    connector's settings, so its package); tests pass fakes as
    `Hub(peers={...})` or assign them (`hub.peers.register = InMemoryRegister()`).
    """

    register: PeerSlot[AppointmentRegister] = PeerSlot()
    outlook: PeerSlot[CalendarPort] = PeerSlot()
    salesforce: PeerSlot[SalesforcePort] = PeerSlot()
    klantinteracties: PeerSlot[KlantinteractiesPort] = PeerSlot()
    brp: PeerSlot[PersonRegistry] = PeerSlot()
    zgw: PeerSlot[ZakenPort] = PeerSlot()
    kcm: PeerSlot[SurveyDrop] = PeerSlot()
    key2burgerzaken: PeerSlot[DocumentStatusPort] = PeerSlot()
    rostarcas: PeerSlot[RosterPort] = PeerSlot()
    tip: PeerSlot[EventPublisher] = PeerSlot()
    passes: PeerSlot[PassSource] = PeerSlot()
    datalake: PeerSlot[LakeOpener] = PeerSlot()

    def __init__(self, settings: Settings, overrides: Mapping[str, object] | None = None) -> None:
        self._settings = settings
        self._cache: dict[str, object] = dict(overrides or {})
        self._building = threading.Lock()
        #: When set, every connector is handed out behind it (`hub.breaker.Guarded`).
        self._breaker: Breaker | None = None
        self._guarded: dict[str, Guarded] = {}

    def get(self, name: str) -> object:
        """The peer `name` (built on first use), behind the breaker when one is set; for peers without a port
        property (`nrc`, `jcc`, a test's own). KeyError when no connector of that name is registered."""
        target = self._cache.get(name)
        if target is None:
            with self._building:  # two worker threads must not each build (and one leak) the same client
                target = self._cache.get(name)
                if target is None:
                    factory = factory_for(name)
                    if factory is None:
                        raise KeyError(f"no connector named {name!r}")
                    target = self._cache[name] = factory(self._settings)
        if self._breaker is None:
            return target
        guarded = self._guarded.get(name)
        if guarded is None or not guarded.is_guarding(target):  # built once, or the peer was replaced
            guarded = self._guarded[name] = Guarded(name, target, self._breaker)
        return guarded

    def replace(self, name: str, peer: object) -> None:
        """Use `peer` as `name` from now on (a fake in tests); the breaker wraps it anew."""
        with self._building:
            self._cache[name] = peer

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
                 peers: Mapping[str, object] | None = None, now: Callable[[], datetime] = utcnow,
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
        metrics.on_rate_limit("console-headroom", note_rate_limit_headers)  # peers' RateLimit headers → console
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
