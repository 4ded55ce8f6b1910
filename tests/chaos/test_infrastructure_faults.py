"""Faults of the hub's own infrastructure under load: a PostgreSQL restart, a Redis restart, a SQLite write lock.

Each test starts what it breaks (a private PostgreSQL via initdb/pg_ctl, a private redis-server, a second
SQLite connection) on its own port or file, never the shared servers, and skips with the reason when the
binaries are absent. Each ends with the invariants: every acknowledged event processed, no duplicate at the
peer, nothing left open once the fault cleared — waited for with a generous bound, never a timing threshold.
The recovery time of each fault is printed (terminal summary: "fault recovery").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event

from hub import loops
from hub.bootstrap import Hub
from hub.demo.runner import wait_until
from hub.store.db import upgrade
from tests.chaos.fault_rig import SETTLE_TIMEOUT, running
from tests.support.private_servers import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.timeout(900)
BATCH = 20  # events acknowledged before, and again after, each fault


def _sweeper_failures() -> int:
    return sum(b.failures for b in loops.LOOPS.snapshot() if b.name == "sweeper")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    reason = server.missing()
    if reason:
        pytest.skip(reason)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    reason = server.missing()
    if reason:
        pytest.skip(reason)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_a_postgresql_restart_under_load_loses_nothing(private_postgres: PrivatePostgres) -> None:
    upgrade(private_postgres.url)
    with running("postgresql restart", private_postgres.url) as rig:
        rig.wait_acked(BATCH)
        private_postgres.restart_immediate()  # every connection cut mid-statement; back when it answers
        rig.cleared()
        rig.wait_acked(BATCH)
        rig.settle()
        rig.check()


def test_a_redis_restart_under_load_loses_nothing(private_redis: PrivateRedis, database_url: str) -> None:
    with running("redis restart", database_url, private_redis.url) as rig:
        rig.wait_acked(BATCH)
        private_redis.kill()  # queued messages are gone; intake still stores and acknowledges
        rig.wait_acked(5)
        private_redis.start()
        rig.cleared()
        rig.wait_acked(BATCH)
        rig.settle()
        rig.check()


def _short_busy_timeout(hub: Hub) -> None:
    """The hub waits 30 s on a SQLite lock before it fails; 1 s here, so the test sees the same failure sooner."""

    @sa_event.listens_for(hub.db.engine, "connect")
    def busy(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=1000")


def test_a_sqlite_write_lock_held_past_the_sweep_interval_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    upgrade(f"sqlite:///{path}")
    with running("sqlite write lock", f"sqlite:///{path}", hub_hook=_short_busy_timeout) as rig:
        rig.wait_acked(BATCH)
        before = _sweeper_failures()
        holder = sqlite3.connect(path, isolation_level=None, timeout=SETTLE_TIMEOUT)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process's long write transaction
            # Held until the sweeper itself failed on it: past the sweep interval, as in the 40 s incident.
            assert wait_until(lambda: _sweeper_failures() > before, SETTLE_TIMEOUT)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        rig.cleared()
        rig.wait_acked(BATCH)
        rig.settle()
        rig.check()
