"""PostgreSQL: link reads, link upserts, audit records and the intake statement run without BEGIN and COMMIT
(autocommit; the pool's pre-ping stays), and the connections they borrow go back to the pool transactional."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from hub.audit import AuditLog
from hub.intake import Intake
from hub.links import LinkStore
from hub.model import parse_event
from hub.store.db import Database
from hub.store.tables import AuditRecord
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

pytestmark = pytest.mark.postgres


class Trace:
    """libpq's protocol trace of every pooled connection: the statements the client sent, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self.mark = 0

    def sent(self) -> list[str]:
        """The first word of each statement sent since the last call (simple and extended protocol)."""
        with self.path.open() as trace:
            trace.seek(self.mark)
            new = trace.read()
            self.mark = trace.tell()
        # F <len> Query "stmt" | F <len> Parse "name" "stmt" ...; a statement may span lines; the pool's
        # pre-ping is the empty statement ";"
        found = re.findall(r'\tF\t\d+\t(?:Parse\t "[^"]*" |Query\t )"\s*(\w+|;)', new)
        return ["PING" if word == ";" else word.upper() for word in found]


@pytest.fixture
def traced(postgres_database: str, tmp_path: Path) -> Iterator[tuple[Database, Trace]]:
    db = Database(postgres_database)
    trace = Trace(tmp_path / "libpq.trace")

    @event.listens_for(db.engine.pool, "connect")
    def _trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.pgconn.trace(trace.fd)

    with db.unit_of_work() as s:
        s.execute(text("TRUNCATE links, audit_log, inbox, deliveries"))
    trace.sent()
    yield db, trace
    db.dispose()
    os.close(trace.fd)


def test_link_and_audit_statements_need_no_begin_or_commit(traced: tuple[Database, Trace]) -> None:
    db, trace = traced
    links = LinkStore(db)
    links.put("A-1001", "salesforce", remote_id="a0X1", version=2)
    assert trace.sent() == ["PING", "INSERT"]  # the pool's pre-ping, then the statement: no BEGIN, no COMMIT
    state = links.get("A-1001", "salesforce")
    assert trace.sent() == ["PING", "SELECT"]
    assert state is not None and state.remote_id == "a0X1" and state.last_version == 2
    AuditLog(db).record(actor="test", action="write", purpose="test", outcome="ok")
    assert trace.sent() == ["PING", "INSERT"]
    with db.unit_of_work() as s:  # a unit of work is still one transaction
        s.execute(text("SELECT 1"))
    assert trace.sent() == ["PING", "BEGIN", "SELECT", "COMMIT"]


def test_an_event_is_stored_in_one_round_trip(traced: tuple[Database, Trace]) -> None:
    db, trace = traced
    intake = Intake(db, registry_with(Recorder()))
    event = parse_event(cloudevent())
    assert not intake.accept([event], "tip")[0].duplicate
    assert trace.sent() == ["PING", "WITH"]  # inbox row and deliveries in one statement, committed when it answers
    assert intake.accept([event], "tip")[0].duplicate
    assert trace.sent() == ["PING", "WITH", "PING", "SELECT"]  # nothing new stored; the stored id looked up


def test_a_connection_lent_for_autocommit_returns_transactional(traced: tuple[Database, Trace]) -> None:
    db, _ = traced
    LinkStore(db).put("A-1001", "graph", remote_id="evt-1")
    assert db.engine.pool.checkedin() == 1  # the one connection, used next by the unit of work below

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.unit_of_work() as s:
        s.add(AuditRecord(actor="test", action="write", purpose="test", outcome="ok", references={}))
        s.flush()
        raise Boom
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 0  # rolled back, not autocommitted
