"""A hub under steady load for one infrastructure fault (store restart, broker restart, SQLite write lock).

The hub runs in this process (worker threads and the sweeper, as `serve` or `worker` do) with the
contact-moments flow writing to the Open Klant simulator, which has no idempotency key: so "zero duplicates at
the peer" means something. A loader thread posts appointment events the way TIP does — an event counts as
acknowledged only once intake returned, and one that failed is sent again with the same id — before, during and
after the fault. `settle()` waits (bounded, generous) until every acknowledged event is processed;
`check()` asserts the invariants; the recovery time (fault cleared → nothing open) goes to `FAULT_FIGURES`,
which tests/chaos/conftest.py prints in the terminal summary.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

import flows.contact_moments  # noqa: F401 - registers the flow
from connectors.klantinteracties import KlantinteractiesSettings
from connectors.salesforce import SalesforceSettings
from hub.bootstrap import Hub
from hub.config import Settings
from hub.demo.runner import wait_until
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.settings import RetrySettings
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.server import SandboxServer
from tests.integration.test_contact_moments_flow import event

#: Recovery figures of this session's fault tests, printed by tests/chaos/conftest.py.
FAULT_FIGURES: list[dict[str, Any]] = []
SETTLE_TIMEOUT = 240.0  # a bound, not an expectation: recovery normally takes a few sweep intervals
RETRY = RetrySettings(max_attempts=1000, base_seconds=0.05, max_seconds=1.0, lease_seconds=3.0,
                      sweep_interval_seconds=0.5, sweep_grace_seconds=0.5)
KEY = "afsprakenhubSleutel"


@dataclass
class Rig:
    hub: Hub
    ki: KlantinteractiesSimulator
    fault: str
    acked: list[str] = field(default_factory=list)
    cleared_at: float | None = None
    recovery_s: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _more: threading.Condition = field(default_factory=threading.Condition)

    # -- load ------------------------------------------------------------------------------------
    def _load(self) -> None:
        n = 0
        while not self._stop.is_set():
            appointment_id = f"F-{n:05d}"
            try:
                [accepted] = self.hub.intake.accept([parse_event(event("booked", 1, appointment_id=appointment_id))],
                                                    "tip")
            except Exception:  # not acknowledged: TIP sends the same event again
                self._stop.wait(0.05)
                continue
            self.hub.runtime.enqueue_many(accepted.delivery_ids)
            with self._more:
                self.acked.append(appointment_id)
                self._more.notify_all()
            n += 1
            self._stop.wait(0.01)

    def wait_acked(self, count: int, timeout: float = SETTLE_TIMEOUT) -> None:
        """Until `count` more events have been acknowledged."""
        with self._more:
            target = len(self.acked) + count
            if not self._more.wait_for(lambda: len(self.acked) >= target, timeout):
                raise AssertionError(f"{self.fault}: intake acknowledged {len(self.acked)} < {target} events")

    def cleared(self) -> None:
        """The fault is over: recovery is timed from here."""
        self.cleared_at = time.monotonic()

    # -- outcome ---------------------------------------------------------------------------------
    def _open(self) -> int | None:
        try:
            with self.hub.db.reading() as s:
                open_ = s.scalar(select(func.count()).select_from(Delivery)
                                 .where(Delivery.status.in_(DeliveryStatus.OPEN))) or 0
                unprocessed = s.scalar(select(func.count()).select_from(InboxEvent)
                                       .where(InboxEvent.processed_at.is_(None))) or 0
                return open_ + unprocessed
        except Exception:
            return None  # the store is still away

    def settle(self) -> None:
        """Stop the load, then wait until nothing is open; records the recovery time."""
        self._stop.set()
        assert self.cleared_at is not None, "call cleared() when the fault is over"
        if not wait_until(lambda: self._open() == 0, SETTLE_TIMEOUT, interval=0.05):
            raise AssertionError(f"{self.fault}: {self._open()} deliveries or events still open "
                                 f"{SETTLE_TIMEOUT:.0f} s after the fault cleared")
        self.recovery_s = time.monotonic() - self.cleared_at
        retry = self.hub.settings.retry
        FAULT_FIGURES.append({
            "fault": self.fault, "backend": self.hub.db.backend, "acknowledged": len(self.acked),
            "recoverySeconds": round(self.recovery_s, 2),
            "sweepBoundSeconds": retry.sweep_interval_seconds + retry.sweep_grace_seconds + retry.lease_seconds})
        print(f"\n{self.fault}: recovered {self.recovery_s:.2f} s after the fault cleared "
              f"({len(self.acked)} events acknowledged)")

    def check(self) -> None:
        """Every acknowledged event processed, every delivery succeeded, exactly one klantcontact per event."""
        with self.hub.db.reading() as s:
            stored = set(s.scalars(select(InboxEvent.subject).where(InboxEvent.processed_at.is_not(None))))
            statuses = Counter(s.scalars(select(Delivery.status)))
        assert set(self.acked) <= stored, f"acknowledged but not processed: {sorted(set(self.acked) - stored)[:10]}"
        assert set(statuses) == {DeliveryStatus.SUCCEEDED}, statuses
        keys = Counter(k["metadata"][KEY] for k in self.ki.klantcontacten.values())
        assert {k: n for k, n in keys.items() if n != 1} == {}, "duplicates at the peer"
        assert {f"{a}:booked" for a in self.acked} <= set(keys)


def settings_for(database_url: str, broker_url: str, ki: KlantinteractiesSimulator) -> Settings:
    return Settings(
        database_url=database_url, broker_url=broker_url, api_tokens="tip:fault-token-0123456789",
        retry=RETRY, flow_modules=[], log_format="json", worker_threads=4,
        salesforce=SalesforceSettings(enabled=False),
        klantinteracties=KlantinteractiesSettings(enabled=True, base_url=ki.api_url, timeout_seconds=5.0,
                                                  unanswered_write_window_seconds=15.0))


@contextmanager
def running(fault: str, database_url: str, broker_url: str = "stub", *,
            hub_hook: Any = None) -> Iterator[Rig]:
    """Sandbox + hub (workers, sweeper) + loader; everything stopped on the way out."""
    ki = KlantinteractiesSimulator()
    with SandboxServer(ki):
        registry = FlowRegistry()
        registry.add(REGISTRY.get("contact_moments"))
        hub = Hub(settings_for(database_url, broker_url, ki), registry=registry, worker_name=f"fault-{fault}")
        if hub_hook is not None:
            hub_hook(hub)
        rig = Rig(hub, ki, fault)
        loader = threading.Thread(target=rig._load, name=f"fault-load-{fault}", daemon=True)
        try:
            hub.runtime.start_worker(hub.settings.worker_threads)
            hub.runtime.start_sweeper()
            loader.start()
            yield rig
        finally:
            rig._stop.set()
            loader.join(SETTLE_TIMEOUT)
            hub.close()
