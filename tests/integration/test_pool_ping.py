"""PostgreSQL pool: a connection the server dropped (restart, idle timeout) is replaced before anybody uses it.

Without a ping per checkout (hub.store.pool_health reads the idle socket instead): the backend is ended and
waited for (`pg_terminate_backend(pid, timeout)`), as a restart closes every connection before it serves again.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text

from hub.intake import Intake
from hub.model import parse_event
from hub.store.db import Database
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

pytestmark = pytest.mark.postgres


def _backend_pid(store: Database) -> int:
    with store.reading() as s:
        return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    """End the backend and wait until it is gone (its socket closed), up to 10 s."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone() == (True,)


def _statements(store: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the store's engine sends from now on, pings (`pool_pre_ping`) included."""
    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(str(args[2])))
    ping = store.engine.dialect.do_ping

    def counted_ping(conn: Any) -> bool:
        sent.append("ping")
        return ping(conn)

    monkeypatch.setattr(store.engine.dialect, "do_ping", counted_ping)
    return sent


def test_a_dropped_connection_is_replaced_before_a_read(postgres_database: str) -> None:
    store = Database(postgres_database)
    try:
        first = _backend_pid(store)
        _terminate(postgres_database, first)
        assert _backend_pid(store) != first  # no error reaches the caller
    finally:
        store.dispose()


def test_intake_right_after_its_connection_was_dropped_stores_the_event(postgres_database: str) -> None:
    store = Database(postgres_database)
    try:
        with store.unit_of_work() as s:
            s.execute(text("TRUNCATE inbox, deliveries"))
        _terminate(postgres_database, _backend_pid(store))
        accepted = Intake(store, registry_with(Recorder())).accept([parse_event(cloudevent())], "tip")
        assert [a.duplicate for a in accepted] == [False]
        with store.reading() as s:
            assert s.execute(text("SELECT count(*) FROM deliveries")).scalar_one() == 1
    finally:
        store.dispose()


def test_a_live_connection_is_reused_without_a_ping(postgres_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Database(postgres_database)
    try:
        first = _backend_pid(store)
        sent = _statements(store, monkeypatch)
        assert _backend_pid(store) == first
        assert sent == ["SELECT pg_backend_pid()"]
    finally:
        store.dispose()
