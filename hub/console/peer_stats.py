"""Connector call statistics shared by every process: calls, errors, last error and rate-limit headroom.

Workers may run in other processes (`afsprakenhub worker` with Redis or RabbitMQ), so the console cannot read
the in-process Prometheus counters. Each process instead adds what its own `PEER_CALLS` counters gained since
its last flush to one row per connector (`peer_call_stats`), in one small transaction per flush: the console
flushes its own process before it reads, and `start_flusher` does it every few seconds in a worker process.
Headroom comes from gauges a connector sets from the peer's answers (Salesforce `Sforce-Limit-Info`), or from
`hub.console.headroom` for peers that send RateLimit headers; "—" where a peer reports none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog
from prometheus_client import REGISTRY
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from hub.bootstrap import Hub
from hub.console import headroom
from hub.console.headroom import note_headroom
from hub.loops import describe, run_loop
from hub.metrics import PEER_CALLS
from hub.store.tables import PeerCallStats

log = structlog.get_logger("afsprakenhub.console")

#: connector → gauge with `kind="used"` and `kind="limit"` samples.
HEADROOM_GAUGES = {"salesforce": "afsprakenhub_salesforce_api_usage"}


@dataclass(frozen=True)
class Delta:
    ok: int = 0
    errors: int = 0
    last_error: str | None = None


_lock = threading.Lock()
_seen: dict[tuple[str, str], float] = {}  # this process's counter values at its last flush


def _headroom() -> dict[str, tuple[int, int]]:
    with headroom.lock:
        found = dict(headroom.noted)
    for connector, gauge in HEADROOM_GAUGES.items():
        used = REGISTRY.get_sample_value(gauge, {"kind": "used"})
        limit = REGISTRY.get_sample_value(gauge, {"kind": "limit"})
        if used is not None and limit:
            found[connector] = (int(used), int(limit))
    return found


def _take_deltas() -> dict[str, Delta]:
    """What `PEER_CALLS` gained since the last call (per connector), and remember the new values."""
    deltas: dict[str, Delta] = {}
    for metric in PEER_CALLS.collect():
        for sample in metric.samples:
            if not sample.name.endswith("_total"):
                continue
            key = (sample.labels["connector"], sample.labels["outcome"])
            gained = int(sample.value - _seen.get(key, 0.0))
            _seen[key] = sample.value
            if gained <= 0:
                continue
            d = deltas.get(key[0], Delta())
            if key[1] == "ok":
                deltas[key[0]] = Delta(d.ok + gained, d.errors, d.last_error)
            else:
                deltas[key[0]] = Delta(d.ok, d.errors + gained, key[1])
    return deltas


def flush(hub: Hub) -> None:
    """Add this process's new counts and headroom to the store (one transaction)."""
    with _lock:
        before = dict(_seen)
        deltas = _take_deltas()
        reported = _headroom()
        if not deltas and not reported:
            return
        try:
            _write(hub, deltas, reported)
        except Exception:
            _seen.clear()
            _seen.update(before)  # not written: the next flush carries these counts
            raise


def _write(hub: Hub, deltas: dict[str, Delta], reported: dict[str, tuple[int, int]]) -> None:
    now = hub.now()
    with hub.db.unit_of_work() as s:
        insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        for connector in sorted(set(deltas) | set(reported)):
            s.execute(insert(PeerCallStats).values(connector=connector, ok=0, errors=0, updated_at=now)
                      .on_conflict_do_nothing())
            d = deltas.get(connector, Delta())
            values: dict[str, object] = {"ok": PeerCallStats.ok + d.ok,
                                         "errors": PeerCallStats.errors + d.errors, "updated_at": now}
            if d.last_error:
                values.update(last_error=d.last_error, last_error_at=now)
            if connector in reported:
                values.update(headroom_used=reported[connector][0], headroom_limit=reported[connector][1])
            s.execute(update(PeerCallStats).where(PeerCallStats.connector == connector).values(**values))


def read(hub: Hub) -> list[PeerCallStats]:
    """Every connector's row, after flushing this process's own counts."""
    flush(hub)
    with hub.db.unit_of_work() as s:
        return list(s.scalars(select(PeerCallStats).order_by(PeerCallStats.connector)))


def start_flusher(hub: Hub, interval: float = 10.0) -> threading.Event:
    """Flush every `interval` seconds in a daemon thread (worker processes); set the returned event to stop."""
    stop = threading.Event()

    def run() -> None:
        run_loop("peer-stats", interval, lambda: flush(hub), stop)  # not written: the next flush carries them
        try:
            flush(hub)
        except Exception as exc:
            log.warning("console.peer_stats_flush_failed", error=describe(exc))

    threading.Thread(target=run, name="afsprakenhub-peer-stats", daemon=True).start()
    return stop


__all__ = ["PeerCallStats", "flush", "note_headroom", "read", "start_flusher"]
