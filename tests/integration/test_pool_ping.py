"""PostgreSQL pool: a connection the server dropped (restart, idle timeout) is replaced before anybody uses it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

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
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


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
