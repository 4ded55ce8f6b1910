"""PostgreSQL: link reads, link upserts, audit records and the intake statement run without BEGIN and COMMIT
(autocommit; no ping before them, hub.store.pool_health), and the connections they borrow go back to the pool
transactional; a delivery is claimed in one statement and finished in one short transaction."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from hub.audit import AuditLog
from hub.bootstrap import Hub
from hub.config import Settings
from hub.context import FlowContext, InboundEvent
from hub.delivery import BUSY, NOT_CLAIMED, Claim
from hub.intake import Intake
from hub.links import LinkStore
from hub.model import parse_event
from hub.registry import FlowRegistry, FlowSpec
from hub.settings import RetrySettings
from hub.store.db import Database
from hub.store.tables import AuditRecord
from tests.conftest import _truncate
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
    assert trace.sent() == ["INSERT"]  # the statement alone: no ping, no BEGIN, no COMMIT
    state = links.get("A-1001", "salesforce")
    assert trace.sent() == ["SELECT"]
    assert state is not None and state.remote_id == "a0X1" and state.last_version == 2
    AuditLog(db).record(actor="test", action="write", purpose="test", outcome="ok")
    assert trace.sent() == ["INSERT"]
    with db.unit_of_work() as s:  # a unit of work is still one transaction
        s.execute(text("SELECT 1"))
    assert trace.sent() == ["BEGIN", "SELECT", "COMMIT"]


def test_an_event_is_stored_in_one_round_trip(traced: tuple[Database, Trace]) -> None:
    db, trace = traced
    intake = Intake(db, registry_with(Recorder()))
    event = parse_event(cloudevent())
    assert not intake.accept([event], "tip")[0].duplicate
    assert trace.sent() == ["WITH"]  # inbox row and deliveries in one statement, committed when it answers
    assert intake.accept([event], "tip")[0].duplicate
    assert trace.sent() == ["WITH", "SELECT"]  # nothing new stored; the stored id looked up


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


@pytest.fixture
def traced_hub(postgres_database: str, tmp_path: Path, recorder: Recorder) -> Iterator[tuple[Hub, Trace]]:
    _truncate(postgres_database)
    settings = Settings(database_url=postgres_database, broker_url="stub", api_tokens="tip:tip-token-123456789",
                        flow_modules=[], retry=RetrySettings(lease_seconds=30, sweep_interval_seconds=3600))
    hub = Hub(settings, registry=registry_with(recorder), worker_name="test-worker")
    hub.db.engine.dispose()  # connections opened from here on are traced
    trace = Trace(tmp_path / "libpq.trace")

    @event.listens_for(hub.db.engine.pool, "connect")
    def _trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.pgconn.trace(trace.fd)

    yield hub, trace
    hub.close()
    os.close(trace.fd)


def test_a_delivery_is_claimed_locked_and_guarded_in_one_statement(traced_hub: tuple[Hub, Trace],
                                                                   recorder: Recorder) -> None:
    hub, trace = traced_hub
    [accepted] = hub.intake.accept([parse_event(cloudevent(appointment_id="A-2001", version=3))], "tip")
    trace.sent()
    claim = hub.runtime.processor._begin(accepted.delivery_ids[0])
    assert trace.sent() == ["WITH"]  # lease, order lock and version guard: one statement, no BEGIN or COMMIT
    assert isinstance(claim, Claim) and claim.subject == "A-2001" and claim.attempt == 1
    with hub.db.reading() as s:
        assert s.execute(text("SELECT holder FROM locks")).scalars().all() == [claim.holder]
    # a second claim of the same delivery while it runs: not claimed, nothing changed
    assert hub.runtime.processor._begin(accepted.delivery_ids[0]) == NOT_CLAIMED


def test_a_delivery_whose_appointment_is_busy_is_given_back(traced_hub: tuple[Hub, Trace]) -> None:
    hub, _ = traced_hub
    first, second = (hub.intake.accept([parse_event(cloudevent(appointment_id="A-2002", version=v))], "tip")[0]
                     for v in (1, 2))
    assert isinstance(hub.runtime.processor._begin(first.delivery_ids[0]), Claim)
    assert hub.runtime.processor._begin(second.delivery_ids[0]) == BUSY
    with hub.db.reading() as s:  # the busy one spent no attempt and holds no lease
        row = s.execute(text("SELECT attempts, leased_until FROM deliveries WHERE id = :i"),
                        {"i": second.delivery_ids[0]}).one()
    assert tuple(row) == (0, None)


def test_a_delivery_is_finished_in_one_transaction_of_two_statements(traced_hub: tuple[Hub, Trace]) -> None:
    hub, trace = traced_hub
    [accepted] = hub.intake.accept([parse_event(cloudevent(appointment_id="A-2003", version=4))], "tip")
    claim = hub.runtime.processor._begin(accepted.delivery_ids[0])
    assert isinstance(claim, Claim)
    trace.sent()
    hub.runtime.processor._finish(claim, "succeeded", None, guard=True, log_it=False)
    # outcome + guard + links + unlock + the event's row lock, then the processed mark (was: the row lock apart)
    assert trace.sent() == ["BEGIN", "WITH", "UPDATE", "COMMIT"]
    with hub.db.reading() as s:
        assert s.execute(text("SELECT count(*) FROM locks")).scalar_one() == 0
        assert s.execute(text("SELECT last_version FROM links WHERE appointment_id = 'A-2003'")).scalar_one() == 4
        assert s.execute(text("SELECT processed_at IS NOT NULL FROM inbox")).scalar_one() is True
        assert s.execute(text("SELECT status FROM deliveries")).scalar_one() == "succeeded"


def _linking_flow(event: InboundEvent, ctx: FlowContext) -> str | None:
    """Reads the appointment's links twice, writes two (one of them twice) and audits once."""
    ae = event.appointment_event
    assert ae is not None
    aid = ae.data.id
    assert ctx.links.get(aid, "crm") is not None and len(ctx.links.for_appointment(aid)) == 2  # both stored
    ctx.links.put(aid, "crm", remote_id="a0X9", version=ae.data.version)
    ctx.links.put(aid, "graph", remote_id="evt-9")
    ctx.links.put(aid, "graph", hash_="h-9")
    state = ctx.links.get(aid, "graph")  # read-your-writes, from the delivery's own links
    assert state is not None and (state.remote_id, state.content_hash) == ("evt-9", "h-9")
    ctx.audit("write", outcome="ok", references={"appointmentId": aid})
    return None


def test_a_delivery_reads_its_links_with_the_claim_and_writes_them_with_its_outcome(
        postgres_database: str, tmp_path: Path, recorder: Recorder) -> None:
    _truncate(postgres_database)
    settings = Settings(database_url=postgres_database, broker_url="stub", api_tokens="tip:tip-token-123456789",
                        flow_modules=[], retry=RetrySettings(lease_seconds=30, sweep_interval_seconds=3600))
    registry = FlowRegistry()
    registry.add(FlowSpec("linker", ("nl.tilburg.afspraken.appointment.*",), _linking_flow, purpose="test: links"))
    hub = Hub(settings, registry=registry, worker_name="test-worker")
    try:
        hub.links.put("A-2004", "crm", remote_id="a0X1", version=1)
        hub.links.put("A-2004", "other", remote_id="o-1")
        [accepted] = hub.intake.accept([parse_event(cloudevent(appointment_id="A-2004", version=5))], "tip")
        hub.db.engine.dispose()  # connections opened from here on are traced
        trace = Trace(tmp_path / "libpq.trace")

        @event.listens_for(hub.db.engine.pool, "connect")
        def _trace(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.pgconn.trace(trace.fd)

        assert hub.runtime.processor.process(accepted.delivery_ids[0]).status == "succeeded"
        # the claim (links included), then one transaction: the audit records (the flow's and the delivery's LDV
        # record in one statement), outcome + guard + link upserts + unlock + the event's row lock, the processed
        # mark. Before: 3 link reads, 3 link upserts and 1 audit insert outside it, the row lock apart
        # (14 round trips; now 6).
        assert trace.sent() == ["WITH", "BEGIN", "INSERT", "WITH", "UPDATE", "COMMIT"]
        crm, graph = hub.links.get("A-2004", "crm"), hub.links.get("A-2004", "graph")
        assert crm is not None and (crm.remote_id, crm.last_version) == ("a0X9", 5)
        assert graph is not None and (graph.remote_id, graph.content_hash) == ("evt-9", "h-9")
        with hub.db.reading() as s:
            actions = s.execute(text("SELECT action FROM audit_log WHERE flow = 'linker' ORDER BY id")).scalars()
            assert list(actions)[:2] == ["write", "linker: nl.tilburg.afspraken.appointment.booked"]
    finally:
        hub.close()
        os.close(trace.fd)
