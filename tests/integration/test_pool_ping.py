"""PostgreSQL pool: a connection is pinged before use only after it sat idle, and a dropped one is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

import hub.store.db as db

pytestmark = pytest.mark.postgres


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(db, "time", fake)
    return fake


@pytest.fixture
def engine(postgres_database: str) -> Iterator[Engine]:
    engine = db.make_engine(postgres_database)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        seen.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return seen


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_in_steady_use_is_not_pinged(engine: Engine, clock: Clock, pings: list[int]) -> None:
    first = _backend_pid(engine)
    for _ in range(5):
        clock.now += db.PING_AFTER_IDLE_S / 2
        assert _backend_pid(engine) == first
    assert pings == []


def test_an_idle_connection_is_pinged_and_kept_when_alive(engine: Engine, clock: Clock, pings: list[int]) -> None:
    first = _backend_pid(engine)
    clock.now += db.PING_AFTER_IDLE_S + 1
    assert _backend_pid(engine) == first
    assert pings == [1]


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
        engine: Engine, clock: Clock, pings: list[int], postgres_database: str) -> None:
    first = _backend_pid(engine)
    _terminate(postgres_database, first)
    clock.now += db.PING_AFTER_IDLE_S + 1
    second = _backend_pid(engine)  # no error reaches the caller
    assert second != first
    assert pings == [1]


def test_intake_sends_again_when_the_server_dropped_a_recently_used_connection(
        postgres_database: str, clock: Clock) -> None:
    """Inside the ping interval nobody pings: the dropped connection fails its statement, the pool replaces
    it, and the intake sends the statement again (safe: a stored key would answer duplicate)."""
    from hub.intake import Intake
    from hub.model import parse_event
    from hub.store.db import Database
    from tests.support.events import cloudevent
    from tests.support.flows import Recorder, registry_with

    store = Database(postgres_database)
    try:
        with store.unit_of_work() as s:
            s.execute(text("TRUNCATE inbox, deliveries"))
            first = int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())
        _terminate(postgres_database, first)
        clock.now += db.PING_AFTER_IDLE_S / 2  # used a moment ago: not pinged
        accepted = Intake(store, registry_with(Recorder())).accept([parse_event(cloudevent())], "tip")
        assert [a.duplicate for a in accepted] == [False]
        with store.reading() as s:
            assert s.execute(text("SELECT count(*) FROM deliveries")).scalar_one() == 1
            assert int(s.execute(text("SELECT pg_backend_pid()")).scalar_one()) != first
    finally:
        store.dispose()
