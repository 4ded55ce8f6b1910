"""Scans that create no visit (denials, a retry's repeated allow) written in batches off the request path.

One writer thread per hub takes the queued scan and audit rows and stores each batch in one transaction. A
failed write (store down, lock timeout) is logged and retried with backoff; the rows stay queued, so the gate
keeps answering and nothing is lost while the process lives. A scan that creates a visit is NOT written here:
its visit, delivery, scan and audit line are committed before the gate gets its allow (`store.admit`).
`flush()` waits until everything queued is stored (the console page and `close()` call it).
"""

from __future__ import annotations

import queue
import threading
import weakref
from typing import TYPE_CHECKING, Any

import structlog

from hub.store import waste_depot as store

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.store.db import Database

log = structlog.get_logger("afsprakenhub.flows.waste_depot.scan_log")

#: Most rows stored in one transaction; more wait for the next.
BATCH = 500
#: Queued rows beyond this are written on the request path instead (back pressure, never dropped).
MAX_QUEUED = 50_000
_BACKOFF_SECONDS = (0.1, 0.5, 1.0, 5.0)


class ScanLog:
    """A queue of (scan, audit) rows and the thread that stores them in batches."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.Queue[tuple[dict[str, Any], dict[str, Any]] | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="waste-depot-scan-log", daemon=True)
        self._thread.start()

    def add(self, scan: dict[str, Any], audit: dict[str, Any]) -> None:
        """Queue one scan and its audit line; past `MAX_QUEUED` store them now."""
        if self._stop.is_set() or self._queue.qsize() >= MAX_QUEUED:
            store.record_scans(self._db, [(scan, audit)])
            return
        self._queue.put((scan, audit))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued row is stored; False when `timeout` seconds passed first."""
        done = threading.Event()

        def wait_for_queue() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Store what is queued, then stop the thread."""
        self.flush(timeout)
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            batch = [first]
            while len(batch) < BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    self._queue.task_done()
                    break
                batch.append(item)
            self._store(batch)
            for _ in batch:
                self._queue.task_done()

    def _store(self, batch: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Store one batch, retrying with backoff until it is in (the error is logged, never raised)."""
        attempt = 0
        while True:
            try:
                store.record_scans(self._db, batch)
                return
            except Exception as exc:
                wait = _BACKOFF_SECONDS[min(attempt, len(_BACKOFF_SECONDS) - 1)]
                log.warning("waste_depot.scan_log.retry", rows=len(batch), attempt=attempt + 1, wait_seconds=wait,
                            error=type(exc).__name__)
                attempt += 1
                threading.Event().wait(wait)


_LOGS: weakref.WeakKeyDictionary[Hub, ScanLog] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def scan_log_of(hub: Hub) -> ScanLog:
    """The hub's scan log, started on first use and closed (flushed) with the hub."""
    with _LOCK:
        found = _LOGS.get(hub)
        if found is None:
            found = _LOGS[hub] = ScanLog(hub.db)
            hub.on_close.append(found.close)
        return found


def flush_scans(hub: Hub) -> None:
    """Store the hub's queued scans now (before a page or a test reads them)."""
    with _LOCK:
        found = _LOGS.get(hub)
    if found is not None:
        found.flush()
