"""The gate index: each process's in-memory copy of the gate's bookings, visits and pass list.

A scan is decided from memory, without a store read. The copy follows the store through one row
(`waste_depot_state`): every transaction that writes a booking or a visit takes the next change number and
stamps it on its rows, a pass-list swap bumps the list's version. A poller thread reads that row every
`index_poll_ms` and then only what is newer, so a change made by any process (the bookings flow in a worker,
another server process, the scheduler's jobs) is seen within one poll; an unknown code makes the index poll at
once before it answers `unknown-code`. Changes that were this process's own group commits (their visits learned
when they committed) are not read again. A decision to ADMIT is never taken from memory alone: the group commit
(`admit.py`) decides it again on the store's rows inside the transaction that stores the visit, so a stale
copy can at most delay an allow (a deny until the next poll), never let a cancelled booking, a void pass or a
used code in.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from flows.waste_depot import rules
from hub.gc_pauses import freeze_long_lived
from hub.store import waste_depot as store

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.store.db import Database

log = structlog.get_logger("afsprakenhub.flows.waste_depot.index")

#: Bookings that ended longer ago than this are dropped from memory (the store keeps them until its purge).
KEEP_ENDED = timedelta(days=2)


class GateIndex:
    """Bookings by code, visits by appointment, visits per (pass, year) and the pass list, as of change `seq`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sync_lock = threading.Lock()  # one sync at a time
        self._data_lock = threading.Lock()  # writers of the maps (readers take none: dict reads are atomic)
        self.seq = -1
        self.passes_version = -1
        self.synced = threading.Condition()
        self._by_code: dict[str, rules.Booking] = {}
        self._code_of: dict[str, str] = {}
        self._visits: dict[str, tuple[rules.Visit, str, int]] = {}
        self._year_visits: Counter[tuple[str, int]] = Counter()
        self._passes: dict[str, tuple[str, int]] = {}
        self._own: set[int] = set()  # change numbers of this process's group commits, their visits learned
        self._state = store.StateReader(db)  # the poll's one connection, used under `_sync_lock`

    def sync(self) -> bool:
        """Read what changed since the last sync (one small read when nothing did); True when something did."""
        with self._sync_lock:
            seq, passes_version = self._state.read()
            if seq == self.seq and passes_version == self.passes_version:
                return False
            changed = seq != self.seq and not self._all_own(seq)
            # Rows newer than `seq` may be read as well: read again at the next change, and learning is idempotent.
            with self._db.reading() as s:
                bookings = store.bookings_since(s, self.seq) if changed else []
                visits = store.visits_since(s, self.seq) if changed else []
                passes = store.all_passes(s) if passes_version != self.passes_version else None
            with self._data_lock:
                for booking, code in bookings:
                    self._put_booking(booking, code)
            for appointment_id, visit, pass_key, year in visits:
                self.learn_visit(appointment_id, visit, pass_key, year)
            if passes is not None:
                self._passes = passes  # swapped whole: a reader sees the old list or the new one
            with self.synced:
                self.seq, self.passes_version = max(self.seq, seq), passes_version
                self.synced.notify_all()
            return True

    def close(self) -> None:
        """Return the poll's connection (the hub is closing)."""
        with self._sync_lock:
            self._state.close()

    def _all_own(self, seq: int) -> bool:
        """Whether every change after ours up to `seq` is a group commit of this process (nothing to read)."""
        with self._data_lock:
            own = all(n in self._own for n in range(self.seq + 1, seq + 1)) if seq - self.seq <= len(self._own) \
                else False
            self._own = {n for n in self._own if n > seq}
        return own

    def committed(self, seq: int) -> None:
        """This process's group commit stored change `seq` and its visits were learned: the poll skips it."""
        with self._data_lock:
            if seq > self.seq:
                self._own.add(seq)

    def wait_for(self, seq: int, timeout: float) -> bool:
        """Wait until the index has read change `seq` (tests and tools); False after `timeout` seconds."""
        with self.synced:
            return self.synced.wait_for(lambda: self.seq >= seq, timeout)

    def _put_booking(self, booking: rules.Booking, code: str) -> None:
        old_code = self._code_of.get(booking.appointment_id)
        if old_code is not None and old_code != code:
            self._by_code.pop(old_code, None)
        self._by_code[code] = booking
        self._code_of[booking.appointment_id] = code

    def learn_visit(self, appointment_id: str, visit: rules.Visit, pass_key: str, year: int) -> None:
        """A visit stored by this process (known at once) or read from the store (idempotent)."""
        with self._data_lock:
            if appointment_id not in self._visits:
                self._visits[appointment_id] = (visit, pass_key, year)
                self._year_visits[(pass_key, year)] += 1

    def prune(self, now: datetime) -> int:
        """Drop bookings that ended more than `KEEP_ENDED` ago; returns how many."""
        with self._data_lock:
            gone = [code for code, b in self._by_code.items() if b.end < now - KEEP_ENDED]
            for code in gone:
                booking = self._by_code.pop(code)
                self._code_of.pop(booking.appointment_id, None)
            return len(gone)

    def facts(self, code: str, card: str | None, year: int
              ) -> tuple[rules.Booking | None, rules.Visit | None, rules.Pass | None, str | None]:
        """(booking, its visit, the pass with this year's visits, the pass key used) for a scanned code, as
        `store.admit` reads them; the pass is the scanned one (`card`) or else the one given at booking."""
        booking = self._by_code.get(code)
        if booking is None:
            return None, None, None, card
        seen = self._visits.get(booking.appointment_id)
        key = card or booking.pass_key
        found = self._passes.get(key) if key else None
        pass_ = rules.Pass(found[0], found[1] + self._year_visits[(key, year)]) if found and key else None
        return booking, seen[0] if seen else None, pass_, key


class _Poller:
    """Keeps one hub's index in step with the store: a sync every `interval` seconds until stopped."""

    def __init__(self, index: GateIndex, interval: float, now: Callable[[], datetime]) -> None:
        self.index = index
        self._interval = interval
        self._now = now
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="waste-depot-gate-index", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        failures = 0
        polls = 0
        while not self._stop.wait(self._interval):
            try:
                self.index.sync()
                failures = 0
                polls += 1
                if polls % 10_000 == 0:
                    self.index.prune(self._now())
            except Exception as exc:  # the store is down: the gate keeps answering from the copy it has
                failures += 1
                if failures in (1, 10) or failures % 600 == 0:
                    log.warning("waste_depot.index.poll_failed", failures=failures, error=type(exc).__name__)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.index.close()


_POLLERS: weakref.WeakKeyDictionary[Hub, _Poller] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def loaded_index(hub: Hub) -> GateIndex | None:
    """The hub's gate index if it is loaded already (the event loop must not wait for the first load)."""
    poller = _POLLERS.get(hub)
    return poller.index if poller is not None else None


def index_of(hub: Hub) -> GateIndex:
    """The hub's gate index: loaded from the store on first use, then polled; stopped with the hub."""
    with _LOCK:
        poller = _POLLERS.get(hub)
        if poller is None:
            index = GateIndex(hub.db)
            index.sync()
            index.prune(hub.now())
            freeze_long_lived()  # full collections no longer walk the loaded index (hub/gc_pauses.py)
            poller = _POLLERS[hub] = _Poller(index, hub.settings.waste_depot.index_poll_ms / 1000, hub.now)
            hub.on_close.insert(0, poller.stop)
        return poller.index
