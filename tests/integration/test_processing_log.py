"""The processing log after Logboek Dataverwerkingen: complete records, a failed write retried, subject queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from typer.testing import CliRunner

from hub import ldv
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.cli import app as cli
from hub.config import Settings
from hub.context import FlowContext, InboundEvent
from hub.delivery import DeliveryProcessor
from hub.ldv import Subject
from hub.ldv_queries import export_records, subject_processings
from hub.registry import FlowSpec
from hub.scheduler import JOBS, JobResult, JobSpec, run_job
from hub.store.db import upgrade
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus
from tests.conftest import AUTH, BACKEND
from tests.support.events import FAKE_BSN, cloudevent
from tests.support.flows import Recorder, registry_with, transient
from tests.support.spans import Spans, collecting, hex_ids

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
OTHER_BSN = "111222333"
CE = {**AUTH, "Content-Type": "application/cloudevents+json"}


@pytest.fixture(name="spans")
def spans_fixture() -> Iterator[Spans]:
    yield from collecting()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as c:
        yield c


def post(client: TestClient, event: dict[str, Any], traceparent: str | None = None) -> None:
    headers = {**CE, **({"traceparent": traceparent} if traceparent else {})}
    assert client.post("/api/v1/events", json=event, headers=headers).status_code == 202


def deliveries(hub: Hub) -> list[int]:
    with hub.db.reading() as s:
        return list(s.scalars(select(Delivery.id).order_by(Delivery.id)))


def records(hub: Hub, flow: str = "recorder") -> list[AuditRecord]:
    with hub.db.reading() as s:
        rows = list(s.scalars(select(AuditRecord).where(AuditRecord.flow == flow).order_by(AuditRecord.id)))
        for r in rows:
            s.expunge(r)
        return rows


def with_customer(bsn: str | None, event_id: str, appointment_id: str) -> dict[str, Any]:
    event = cloudevent(event_id=event_id, appointment_id=appointment_id)
    if bsn is None:
        event["data"]["customer"] = {**event["data"]["customer"], "bsn": None, "anonymous": True}
    else:
        event["data"]["customer"] = {**event["data"]["customer"], "bsn": bsn}
    return event


def test_a_delivery_writes_a_complete_record(client: TestClient, hub: Hub, spans: Spans) -> None:
    hub.settings.ldv.processing_activities = {"recorder": "https://register.example.nl/verwerkingen/17"}
    post(client, cloudevent(event_id="e-1"), f"00-{TRACE}-{CALLER_SPAN}-01")
    [delivery_id] = deliveries(hub)
    assert DeliveryProcessor(hub).process(delivery_id).status == DeliveryStatus.SUCCEEDED
    [record] = records(hub)
    [intake], [deliver] = spans.named("intake"), spans.named("deliver recorder")
    assert (record.trace_id, record.span_id) == hex_ids(deliver)
    assert record.trace_id == TRACE and record.parent_span_id == hex_ids(intake)[1]
    assert (record.foreign_trace_id, record.foreign_span_id) == (TRACE, CALLER_SPAN)
    assert record.foreign_processor == "urn:afsprakenhub:caller:tip"
    assert record.status == "Ok" and record.outcome == DeliveryStatus.SUCCEEDED
    assert record.name == "recorder: nl.tilburg.afspraken.appointment.booked"
    assert record.start_time is not None and record.end_time is not None and record.start_time <= record.end_time
    assert record.processing_activity_id == "https://register.example.nl/verwerkingen/17"
    assert record.data_subject_id_type == "BSN"
    assert record.data_subject_id is not None and FAKE_BSN not in record.data_subject_id  # encrypted, not the BSN
    assert hub.audit.cipher.decrypt(record.data_subject_id, "BSN") == FAKE_BSN
    assert record.data_subject_index not in (None, "") and FAKE_BSN not in json.dumps(record.references)


def test_a_failed_attempt_has_an_error_record_and_anonymous_none_subject(client: TestClient, hub: Hub,
                                                                         recorder: Recorder) -> None:
    post(client, with_customer(None, "anon-1", "A-9"))
    [delivery_id] = deliveries(hub)
    recorder.failures.append(transient())
    processor = DeliveryProcessor(hub)
    assert processor.process(delivery_id).status == DeliveryStatus.FAILED
    with hub.db.unit_of_work() as s:  # due now
        s.execute(Delivery.__table__.update().values(next_attempt_at=hub.now()))
    assert processor.process(delivery_id).status == DeliveryStatus.SUCCEEDED
    failed, done = records(hub)
    assert (failed.status, done.status) == ("Error", "Ok")
    assert failed.trace_id == done.trace_id and failed.span_id != done.span_id  # one trace, a span per attempt
    assert failed.data_subject_id is None and done.data_subject_id_type is None


def _refuse_log_writes(hub: Hub) -> None:
    with hub.db.unit_of_work() as s:
        if BACKEND == "postgres":
            s.execute(text("CREATE OR REPLACE FUNCTION refuse_log() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'the log store refuses'; END $$ LANGUAGE plpgsql"))
            s.execute(text("CREATE TRIGGER refuse_log BEFORE INSERT ON audit_log FOR EACH ROW "
                           "EXECUTE FUNCTION refuse_log()"))
        else:
            s.execute(text("CREATE TRIGGER refuse_log BEFORE INSERT ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'the log store refuses'); END"))


def _allow_log_writes(hub: Hub) -> None:
    with hub.db.unit_of_work() as s:
        s.execute(text("DROP TRIGGER refuse_log ON audit_log" if BACKEND == "postgres" else "DROP TRIGGER refuse_log"))


def test_a_failed_log_write_fails_the_processing_which_is_retried(client: TestClient, hub: Hub,
                                                                   recorder: Recorder) -> None:
    post(client, cloudevent(event_id="f-1"))
    [delivery_id] = deliveries(hub)
    _refuse_log_writes(hub)
    try:
        outcome = DeliveryProcessor(hub).process(delivery_id)
    finally:
        _allow_log_writes(hub)
    assert outcome.status == DeliveryStatus.FAILED and outcome.retry_in is not None
    assert recorder.calls == 1 and records(hub) == []  # the flow ran, but nothing counts without its record
    with hub.db.reading() as s:
        row = s.get(Delivery, delivery_id)
        assert row is not None and row.status == DeliveryStatus.FAILED
        assert (row.last_error or "").startswith("processing log write failed: ")
    with hub.db.unit_of_work() as s:
        s.execute(Delivery.__table__.update().values(next_attempt_at=hub.now()))
    assert DeliveryProcessor(hub).process(delivery_id).status == DeliveryStatus.SUCCEEDED
    [record] = records(hub)
    assert record.status == "Ok" and record.data_subject_id_type == "BSN"


def test_subject_query_returns_exactly_that_subjects_processings_and_is_recorded(client: TestClient,
                                                                                 hub: Hub) -> None:
    post(client, with_customer(FAKE_BSN, "s-1", "A-1"))
    post(client, with_customer(OTHER_BSN, "s-2", "A-2"))
    post(client, with_customer(None, "s-3", "A-3"))
    post(client, with_customer(FAKE_BSN, "s-4", "A-4"))
    processor = DeliveryProcessor(hub)
    for delivery_id in deliveries(hub):
        assert processor.process(delivery_id).status == DeliveryStatus.SUCCEEDED
    found = subject_processings(hub, Subject("BSN", FAKE_BSN), actor="cli")
    mine = [f for f in found if f["flow"] == "recorder"]
    assert sorted(f["references"]["appointmentId"] for f in mine) == ["A-1", "A-4"]
    assert all(f["attributes"]["dpl.core.data_subject_id"] == FAKE_BSN for f in found)
    access = [f for f in found if f["name"] == "subject-access"]
    assert len(access) == 1 and access[0]["actor"] == "cli"  # the query is itself a processing of this subject
    other = subject_processings(hub, Subject("BSN", OTHER_BSN), actor="cli")
    assert [f["references"].get("appointmentId") for f in other if f["flow"] == "recorder"] == ["A-2"]
    again = subject_processings(hub, Subject("BSN", FAKE_BSN), actor="cli")
    assert len([f for f in again if f["name"] == "subject-access"]) == 2


def test_records_made_before_a_key_rotation_are_still_found(settings: Settings, recorder: Recorder) -> None:
    from tests.support.flows import registry_with

    old = Hub(settings, registry=registry_with(recorder))
    old.audit.record(actor="cli", action="look", purpose="test", outcome="done", subject=Subject("BSN", FAKE_BSN))
    old.close()
    rotated = settings.model_copy(deep=True)
    rotated.ldv.previous_subject_keys = [rotated.ldv.subject_key]
    rotated.ldv.subject_key = type(rotated.ldv.subject_key)("a-new-long-random-key-for-this-test")
    new = Hub(rotated, registry=registry_with(recorder))
    try:
        found = subject_processings(new, Subject("BSN", FAKE_BSN), actor="cli")
        assert [f["name"] for f in found] == ["look", "subject-access"]
    finally:
        new.close()


def test_export_uses_ldv_field_names_and_the_window(client: TestClient, hub: Hub) -> None:
    post(client, cloudevent(event_id="x-1"), f"00-{TRACE}-{CALLER_SPAN}-01")
    DeliveryProcessor(hub).process(deliveries(hub)[0])
    now = datetime.now(UTC)
    exported = list(export_records(hub, now - timedelta(hours=1), now + timedelta(hours=1)))
    [delivery] = [r for r in exported if r["name"].startswith("recorder:")]
    assert set(delivery) == {"trace_id", "span_id", "parent_span_id", "name", "status", "start_time", "end_time",
                             "resource", "attributes", "foreign_operation"}
    assert delivery["foreign_operation"] == {"trace_id": TRACE, "span_id": CALLER_SPAN,
                                             "entity": "urn:afsprakenhub:caller:tip"}
    assert delivery["attributes"]["dpl.core.data_subject_id_type"] == "BSN"
    assert delivery["attributes"]["dpl.core.data_subject_id"].startswith("v1.")
    assert delivery["attributes"]["dpl.core.foreign_operation.processor"] == "urn:afsprakenhub:caller:tip"
    assert isinstance(delivery["start_time"], int) and delivery["start_time"] <= delivery["end_time"]
    assert FAKE_BSN not in json.dumps(exported)
    assert list(export_records(hub, now + timedelta(hours=1), now + timedelta(hours=2))) == []


def test_cli_subject_export_and_purge(cli_env: Settings, client: TestClient, hub: Hub, tmp_path: Path) -> None:
    post(client, cloudevent(event_id="c-1"))
    DeliveryProcessor(hub).process(deliveries(hub)[0])
    runner = CliRunner()
    bad = runner.invoke(cli, ["audit", "subject", "--bsn", "123456789"])
    assert bad.exit_code == 2 and "11-proef" in bad.output
    shown = runner.invoke(cli, ["audit", "subject", "--bsn", FAKE_BSN, "--json"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["dataSubjectIdType"] == "BSN"
    assert [p["name"] for p in body["processings"]] == ["recorder: nl.tilburg.afspraken.appointment.booked",
                                                         "subject-access"]
    target = tmp_path / "ldv.jsonl"
    done = runner.invoke(cli, ["audit", "export", "--from", "2000-01-01", "--output", str(target), "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert json.loads(done.stdout)["records"] == len(lines) >= 2
    assert runner.invoke(cli, ["audit", "export", "--from", "yesterday"]).exit_code == 2
    purged = runner.invoke(cli, ["audit", "purge", "--older-than", "1", "--json"])
    assert purged.exit_code == 0 and json.loads(purged.stdout)["removed"] == 0


def test_migration_gives_existing_audit_rows_ldv_fields(tmp_path: Path) -> None:
    if BACKEND == "postgres":
        pytest.skip("a SQLite file at revision 0004; the PostgreSQL branch runs (on no rows) in the session set-up")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, revision="0004")
    engine = create_engine(url)
    at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(AuditRecord.__table__), [
            {"at": at, "actor": "flow:contact_moments", "flow": "contact_moments", "action": "record-contact-moments",
             "purpose": "crm", "references": {}, "outcome": "succeeded"},
            {"at": at, "actor": "console:ops", "flow": None, "action": "console-login", "purpose": "console",
             "references": {}, "outcome": "failed"}])
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT trace_id, span_id, status, name, processing_activity_id, start_time "
                                 "FROM audit_log ORDER BY id")).all()
    engine.dispose()
    assert [(len(r[0]), len(r[1])) for r in rows] == [(32, 16), (32, 16)]
    assert rows[0][0] != rows[1][0]
    assert [r[2] for r in rows] == ["Ok", "Error"]
    assert [r[3] for r in rows] == ["record-contact-moments", "console-login"]
    assert [r[4] for r in rows] == ["urn:afsprakenhub:processing-activity:contact_moments",
                                    "urn:afsprakenhub:processing-activity:console"]
    assert all(r[5] is not None for r in rows)


def test_a_job_writes_one_child_record_per_person_it_processed(hub: Hub, spans: Spans,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def notify(hub: Hub, dry_run: bool) -> JobResult:
        for bsn in (FAKE_BSN, OTHER_BSN, FAKE_BSN, None):  # a person twice, an unknown one: two children
            ldv.processed(ldv.subject_of_bsn(bsn))
        return JobResult("ok", {"notified": 2})

    monkeypatch.setitem(JOBS, "notify-test", JobSpec("notify-test", notify, "0 2 * * *", "test"))
    run_job(hub, "notify-test")
    with hub.db.reading() as s:
        rows = list(s.scalars(select(AuditRecord).where(AuditRecord.actor == "cli").order_by(AuditRecord.id)))
        s.expunge_all()
    job_row, *children = [r for r in rows if r.action.startswith("job:notify-test")]
    assert job_row.data_subject_id is None
    job_span = hex_ids(spans.named("job notify-test")[0])[1]
    assert job_row.parent_span_id == job_span
    assert [hub.audit.cipher.decrypt(c.data_subject_id or "", "BSN") for c in children] == [FAKE_BSN, OTHER_BSN]
    assert {(c.trace_id, c.parent_span_id) for c in children} == {(job_row.trace_id, job_span)}
    assert len({c.span_id for c in children} | {job_row.span_id}) == 3
    found = subject_processings(hub, Subject("BSN", OTHER_BSN), actor="cli")
    assert [f["name"] for f in found if f["name"] != "subject-access"] == ["job:notify-test: subject"]


def test_the_peers_own_ids_are_the_foreign_operations_of_the_delivery(settings: Settings, recorder: Recorder) -> None:
    def link(event: InboundEvent, ctx: FlowContext) -> str | None:
        assert event.appointment_event is not None
        appointment_id = event.appointment_event.data.id
        ctx.links.put(appointment_id, "crm", remote_id="a0B5g00000XyZ12EAB", version=1)
        ctx.links.put(appointment_id, "crm", remote_id="a0B5g00000XyZ12EAB", version=1)  # the same operation
        ctx.links.put(appointment_id, "graph", remote_id="AAMkAGI2TAAA=")
        ctx.links.put(appointment_id, "cache", version=1)  # no remote id: no foreign operation
        return None

    spec = FlowSpec("linker", ("nl.tilburg.afspraken.appointment.*",), link, purpose="test: link to peers")
    hub = Hub(settings, registry=registry_with(recorder, extra=[spec]), worker_name="test-worker")
    try:
        with TestClient(create_app(hub)) as client:
            post(client, cloudevent(event_id="f-1"), f"00-{TRACE}-{CALLER_SPAN}-01")
        for delivery_id in deliveries(hub):
            assert DeliveryProcessor(hub).process(delivery_id).status == DeliveryStatus.SUCCEEDED
        delivery, *children = records(hub, "linker")
        assert [(c.foreign_processor, c.references["foreignOperationId"]) for c in children] == [
            ("urn:afsprakenhub:peer:crm", "a0B5g00000XyZ12EAB"), ("urn:afsprakenhub:peer:graph", "AAMkAGI2TAAA=")]
        assert {(c.trace_id, c.parent_span_id) for c in children} == {(delivery.trace_id, delivery.span_id)}
        assert all(c.data_subject_index == delivery.data_subject_index is not None for c in children)
        assert [r.foreign_processor for r in records(hub)] == ["urn:afsprakenhub:caller:tip"]  # no links, none
        now = datetime.now(UTC)
        exported = [r for r in export_records(hub, now - timedelta(hours=1), now + timedelta(hours=1))
                    if r["name"].startswith("linker:")]
        assert [r.get("foreign_operation") for r in exported] == [
            {"trace_id": TRACE, "span_id": CALLER_SPAN, "entity": "urn:afsprakenhub:caller:tip"},
            {"operation_id": "a0B5g00000XyZ12EAB", "entity": "urn:afsprakenhub:peer:crm"},
            {"operation_id": "AAMkAGI2TAAA=", "entity": "urn:afsprakenhub:peer:graph"}]
        assert exported[2]["attributes"]["dpl.core.foreign_operation.processor"] == "urn:afsprakenhub:peer:graph"
    finally:
        hub.close()
