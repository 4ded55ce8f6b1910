"""Group commit of first scans: several admitted visits per transaction, each gate answered after its commit.

A scan the gate index would admit is queued here; one writer thread per hub takes everything queued (up to
`admit_batch`), decides it again on the store's rows and stores the visits, their deliveries, the scans and
their audit lines in ONE transaction (`store.admit`). Only after that commit is each scan's future resolved,
so an `allow` a gate receives is durable, and a process killed mid-batch has answered none of the batch (the
gate retries; nothing half-stored remains, the transaction never committed). While one batch commits, the next
gathers, so under load a commit serves many gates and at rest a scan waits for nobody. Scans waiting on an event
loop are woken with ONE `call_soon_threadsafe` per batch (not one per scan: each is a wake-up of the loop), and
the scans an event loop submits reach the writer together, once a loop iteration has brought no more scans of
any kind (or a batch is full): 50 gates scanning at once wake the writer once, not for the first few scans
while the loop is still parsing the others (it then committed a batch of a few while competing with the loop for
the GIL, and the rest in a second batch after it). A scan the loop answers from memory (a retry, a deny) counts
as arriving too (`note`): a burst that mixes them is still one batch. A lone scan waits one loop iteration for
company, no timer; under sustained load the gathering ends after one scan per gate has arrived.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from flows.waste_depot.index import GateIndex
from flows.waste_depot.rules import decide
from hub.store import waste_depot as store

if TYPE_CHECKING:
    from collections.abc import Callable

    from flows.waste_depot.rules import Rules
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.flows.waste_depot.admit")


@dataclass(frozen=True)
class _Queued:
    scan: store.FirstScan
    future: Future[store.Admitted] | asyncio.Future[store.Admitted]
    loop: asyncio.AbstractEventLoop | None = None  # set: `future` belongs to this loop, settled on it


class Admissions:
    """The queue of first scans and the thread that stores them in batches."""

    def __init__(self, hub: Hub, index: GateIndex, rule: Rules,
                 delivery_of: Callable[[store.FirstScan], store.VisitDelivery],
                 audit_of: Callable[[store.FirstScan, str | None], dict[str, Any]]) -> None:
        self._hub = hub
        self._index = index
        self._rule = rule
        self._delivery_of = delivery_of
        self._audit_of = audit_of
        self._batch = hub.settings.waste_depot.admit_batch
        # a burst is every gate scanning once: gathering ends after that many scans have arrived at most
        self._burst = min(self._batch, len(hub.settings.waste_depot.gates) or self._batch)
        self._queue: queue.Queue[list[_Queued] | None] = queue.Queue()
        self._gathering: dict[asyncio.AbstractEventLoop, list[_Queued]] = {}  # each list used by its loop alone
        self._arrived: dict[asyncio.AbstractEventLoop, int] = {}  # scans per loop, first or not (its loop alone)
        self._thread = threading.Thread(target=self._run, name="waste-depot-admissions", daemon=True)
        self._thread.start()

    def submit(self, scan: store.FirstScan) -> Future[store.Admitted]:
        """Queue one first scan; the future holds what the store decided, once it is committed."""
        future: Future[store.Admitted] = Future()
        self._queue.put([_Queued(scan, future)])
        return future

    def submit_async(self, scan: store.FirstScan) -> asyncio.Future[store.Admitted]:
        """`submit` for the running event loop: its future is settled on the loop, with the rest of its batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[store.Admitted] = loop.create_future()
        gathering = self._gathering.setdefault(loop, [])
        if not gathering:
            before = self._arrived.get(loop, 0)
            loop.call_soon(self._hand_over, loop, before, before)  # after the tasks ready in this iteration
        gathering.append(_Queued(scan, future, loop))
        self._arrived[loop] = self._arrived.get(loop, 0) + 1
        return future

    def note(self) -> None:
        """The running event loop answered a scan from memory: while it gathers, a burst is still arriving."""
        loop = asyncio.get_running_loop()
        if loop in self._gathering:
            self._arrived[loop] += 1

    def _hand_over(self, loop: asyncio.AbstractEventLoop, seen: int, started: int) -> None:
        """Queue what `loop` gathered, in one piece, once an iteration brought no scan after the `seen` ones (a
        burst still arriving is parsed first), or a burst's worth of scans of any kind (one per gate, at most a
        batch) has arrived since the gathering `started`: a loop that never goes quiet still hands over."""
        gathered = self._gathering.get(loop, [])
        arrived = self._arrived.get(loop, 0)
        if seen < arrived and arrived - started < self._burst:
            loop.call_soon(self._hand_over, loop, arrived, started)
            return
        self._gathering.pop(loop, None)
        if gathered:
            self._queue.put(gathered)

    def close(self, timeout: float = 30.0) -> None:
        """Store what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        waiting: list[_Queued] = []
        stop = False
        while waiting or not stop:
            if not waiting:
                first = self._queue.get()
                if first is None:
                    return
                waiting = first
            while len(waiting) < self._batch and not stop:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    waiting += more
            batch, waiting = waiting[:self._batch], waiting[self._batch:]
            self._commit(batch)

    def _commit(self, batch: list[_Queued]) -> None:
        """One transaction for the batch; every future resolved after it (or failed with its error)."""
        try:
            seq, results = store.admit(self._hub.db, [q.scan for q in batch], self._rule, self._delivery_of,
                                       self._audit_of, decide)
        except Exception as exc:  # the store is down: every gate of the batch gets a 503 and scans again
            log.warning("waste_depot.admit_failed", scans=len(batch), error=type(exc).__name__)
            _settle([(q, exc) for q in batch])
            return
        for q, result in zip(batch, results, strict=True):
            if result.decision.new_visit and result.visit is not None and result.card is not None:
                self._index.learn_visit(q.scan.appointment_id, result.visit, result.card, q.scan.year)
        self._index.committed(seq)
        delivery_ids = [i for r in results for i in r.delivery_ids]
        _settle(list(zip(batch, results, strict=True)))
        if delivery_ids:
            try:
                self._hub.runtime.enqueue_many(delivery_ids)
            except Exception as exc:  # stored and committed: the sweeper sends it later
                log.warning("waste_depot.enqueue_failed", deliveries=len(delivery_ids), error=type(exc).__name__)


def _settle(outcomes: list[tuple[_Queued, store.Admitted | BaseException]]) -> None:
    """Settle every future: a thread's at once, an event loop's in one callback per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Queued, store.Admitted | BaseException]]] = {}
    for q, outcome in outcomes:
        if q.loop is None:
            _set(q.future, outcome)
        else:
            by_loop.setdefault(q.loop, []).append((q, outcome))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_set_all, settled)
        except RuntimeError:  # the loop is closed: nobody awaits these answers any more
            log.warning("waste_depot.admit_loop_closed", scans=len(settled))


def _set_all(outcomes: list[tuple[_Queued, store.Admitted | BaseException]]) -> None:
    for q, outcome in outcomes:
        _set(q.future, outcome)


def _set(future: Future[store.Admitted] | asyncio.Future[store.Admitted],
         outcome: store.Admitted | BaseException) -> None:
    if future.done():  # an awaiting request was cancelled (its client went away)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


_ADMISSIONS: weakref.WeakKeyDictionary[Hub, Admissions] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def started_admissions(hub: Hub) -> Admissions | None:
    """The hub's group-commit writer if a first scan has started it (None: nothing to keep gathering for)."""
    return _ADMISSIONS.get(hub)


def admissions_of(hub: Hub, index: GateIndex, rule: Rules,
                  delivery_of: Callable[[store.FirstScan], store.VisitDelivery],
                  audit_of: Callable[[store.FirstScan, str | None], dict[str, Any]]) -> Admissions:
    """The hub's group-commit writer, started on first use and closed (drained) with the hub."""
    with _LOCK:
        found = _ADMISSIONS.get(hub)
        if found is None:
            found = _ADMISSIONS[hub] = Admissions(hub, index, rule, delivery_of, audit_of)
            hub.on_close.append(found.close)
        return found
