"""Drift reconciliation against the Graph and register simulators: drift planted in the calendars is found
(missing, orphaned, shifted — a daylight-saving shift flagged), repaired through the normal delivery path, and a
second run finds none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from connectors.outlook import OutlookSettings
from flows.calendars import FLOW as CALENDARS
from flows.drift import FLOW as DRIFT_REPAIR
from flows.drift import reconcile
from flows.drift.report import to_csv
from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.store.tables import Delivery
from sandbox.graph import GraphSimulator
from sandbox.graph.state import StoredEvent
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer
from tests.support.events import FAKE_BSN
from tests.support.flows import Clock
from tests.support.privacy import FIXTURE_VALUES, find_personal_data

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)  # winter time; 28 March 2027 the clocks go forward
EMPLOYEE, ROOM, OTHER_ROOM = "p.jansen@example.nl", "spreekkamer3@example.nl", "trouwkamer@example.nl"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[GraphSimulator, RegisterSimulator]]:
    graph, register = GraphSimulator(), RegisterSimulator()
    server = SandboxServer(graph, register).start()
    yield graph, register
    server.stop()


@pytest.fixture
def hub(settings: Settings, sandbox: tuple[GraphSimulator, RegisterSimulator]) -> Iterator[Hub]:
    graph, register = sandbox
    with graph.state.lock:
        graph.state.events.clear()
    with register.state.lock:
        register.state.appointments.clear()
    registry = FlowRegistry()
    registry.add(REGISTRY.get(CALENDARS))
    registry.add(REGISTRY.get(DRIFT_REPAIR))
    merged = settings.model_copy(update={
        "outlook": OutlookSettings(**graph.settings(max_retries=0)),
        "register_api": settings.register_api.model_copy(update={
            "base_url": register.api_url, "token_url": register.token_url}),
        "drift": settings.drift.model_copy(update={"repairs_per_second": 1000.0})})
    h = Hub(merged, registry=registry, now=Clock(NOW), worker_name="t")
    yield h
    h.close()


def _local(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, 0, tzinfo=AMS)


def _deliver_all(hub: Hub, register: RegisterSimulator) -> None:
    """Every event the register emitted so far, through intake and the calendars flow."""
    for event in register.emitted:
        [accepted] = hub.intake.accept([parse_event(event.model_dump(mode="json"))], "tip")
        for delivery_id in accepted.delivery_ids:
            assert hub.runtime.processor.process(delivery_id).status == "succeeded"


def _process_queued(hub: Hub, ids: list[int]) -> list[str]:
    return [str(hub.runtime.processor.process(i).status) for i in ids]


def _queued(hub: Hub) -> list[int]:
    with hub.db.reading() as s:
        return sorted(s.scalars(Delivery.__table__.select().with_only_columns(Delivery.id)
                                .where(Delivery.status == "pending")))


def _summary(findings: Any) -> set[tuple[str, str | None, str]]:
    return {(f.kind, f.appointment_id, f.target) for f in findings}


def test_planted_drift_is_found_repaired_and_gone(hub: Hub, sandbox: tuple[GraphSimulator, RegisterSimulator]
                                                  ) -> None:
    graph, register = sandbox
    book = {"employee": "EMP-001", "room": "SPREEKKAMER-3"}
    a1 = register.book(_local(22, 9), **book).id
    a2 = register.book(_local(23, 10), **book).id
    a3 = register.book(_local(24, 11), **book).id
    dst = register.book(_local(29, 9), **book).id  # after the change to summer time
    _deliver_all(hub, register)
    assert len(graph.hub_events()) == 8
    assert reconcile(hub, 14).findings == []  # in step: nothing to report

    # Drift: an event deleted by hand, a lost booking, a lost cancellation, a DST-shifted room event, a stray.
    [a1_employee] = [e for e in graph.events(EMPLOYEE) if e.start == _local(22, 9)]
    graph.state.delete(EMPLOYEE, a1_employee.id)
    a4 = register.book(_local(25, 9), **book).id  # its `booked` event never reaches the hub
    register.cancel(a3)  # nor does this cancellation
    [dst_room] = [e for e in graph.events(ROOM) if e.start == _local(29, 9)]
    with graph.state.lock:
        dst_room.start += timedelta(hours=1)  # written as 09:00 winter time
        dst_room.end += timedelta(hours=1)
        stray = StoredEvent("STRAY-1", OTHER_ROOM, {"subject": "x", "transactionId": "afsprakenhub-0123"},
                            _local(26, 9), _local(26, 10))
        graph.state.events[stray.id] = stray
        own = StoredEvent("PRIVATE-1", EMPLOYEE, {"subject": "tandarts"}, _local(26, 9), _local(26, 10))
        graph.state.events[own.id] = own  # not the hub's: never touched

    report = reconcile(hub, 14)
    assert _summary(report.findings) == {
        ("missing", a1, "employee"), ("missing", a4, "employee"), ("missing", a4, "room"),
        ("orphaned", a3, "employee"), ("orphaned", a3, "room"), ("shifted", dst, "room"),
        ("orphaned", None, "employee/room")}
    shifted = next(f for f in report.findings if f.kind == "shifted")
    assert shifted.delta_minutes == 60 and shifted.dst and shifted.remote_id == dst_room.id
    assert next(f for f in report.findings if f.remote_id == "STRAY-1").fix == "delete"
    csv_text = to_csv(report.findings)
    assert csv_text.splitlines()[0].startswith("peer,kind,appointmentId") and len(csv_text.splitlines()) == 8
    assert report.counts()["outlook.missing"] == 3
    assert a2 not in {f.appointment_id for f in report.findings}

    repaired = reconcile(hub, 14, repair=True)
    assert repaired.repaired == 5  # a1, a3, a4, the DST one: a snapshot each; the stray: one removal
    queued = _queued(hub)
    assert len(queued) == 5
    assert set(_process_queued(hub, queued)) == {"succeeded"}

    assert reconcile(hub, 14).findings == []  # a second run finds none
    assert {e.id for e in graph.events(OTHER_ROOM)} == set()
    assert "PRIVATE-1" in {e.id for e in graph.events(EMPLOYEE)}
    [fixed] = [e for e in graph.events(ROOM) if e.id == dst_room.id]
    assert fixed.start == _local(29, 9)
    assert graph.events(EMPLOYEE) and all(e.start != _local(24, 11) for e in graph.hub_events())

    again = reconcile(hub, 14, repair=True)  # nothing to fix: nothing queued
    assert again.repaired == 0 and _queued(hub) == []


def test_cli_reports_as_json_and_csv_and_repairs(hub: Hub, sandbox: tuple[GraphSimulator, RegisterSimulator],
                                                 settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    from hub.cli import app
    from hub.config import get_settings

    graph, register = sandbox
    customer = {"bsn": FAKE_BSN, "firstName": "Jan", "lastName": "Dijk", "email": "jan@example.nl",
                "phone": "0612345678"}
    lost = register.book((datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0), customer=customer,
                         employee="EMP-001", room="SPREEKKAMER-3").id  # its event never reached the hub
    env = {"DATABASE_URL": settings.database_url, "FLOW_MODULES": '["flows.calendars", "flows.drift"]',
           "LOG_LEVEL": "WARNING", "REGISTER_API__BASE_URL": register.api_url,
           "REGISTER_API__TOKEN_URL": register.token_url, "DRIFT__REPAIRS_PER_SECOND": "1000",
           "SALESFORCE__ENABLED": "false",
           **{f"OUTLOOK__{k.upper()}": str(v) for k, v in graph.settings().items()}}
    for key, value in env.items():
        monkeypatch.setenv(f"AFSPRAKENHUB_{key}", value)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        csv_file = tmp_path / "drift.csv"
        found = runner.invoke(app, ["drift", "--days", "5", "--json", "--out", str(csv_file)])
        assert found.exit_code == 0, found.output
        data = json.loads(found.stdout)
        assert data["counts"] == {"outlook.missing": 2, "total": 2}
        assert {f["appointmentId"] for f in data["findings"]} == {lost}
        assert len(csv_file.read_text().splitlines()) == 3
        assert find_personal_data([("stdout", found.stdout), ("csv", csv_file.read_text())], FIXTURE_VALUES) == []
        fixed = runner.invoke(app, ["drift", "--days", "5", "--repair"])
        assert fixed.exit_code == 0 and "2 difference(s); 1 fix(es) queued" in fixed.stdout
        assert {e.mailbox for e in graph.hub_events()} == {EMPLOYEE, ROOM}
        clean = runner.invoke(app, ["drift", "--days", "5"])
        assert clean.exit_code == 0 and "0 difference(s)" in clean.stdout
        bad = runner.invoke(app, ["drift", "--out", str(tmp_path / "nope" / "x.csv")])
        assert bad.exit_code == 2 and "does not exist" in bad.output
    finally:
        get_settings.cache_clear()


def test_nightly_job_stores_the_report_for_the_console(hub: Hub,
                                                       sandbox: tuple[GraphSimulator, RegisterSimulator]) -> None:
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.scheduler import JOBS, run_job
    from tests.integration.test_console_routes import login

    _, register = sandbox
    lost = register.book(_local(22, 9), employee="EMP-001", room="SPREEKKAMER-3",
                         customer={"bsn": "999993653", "email": "jan@example.nl"}).id
    assert "drift" in JOBS
    result = run_job(hub, "drift", params={"days": 7})
    assert result.outcome == "drift" and result.counts["outlook.missing"] == 2
    assert result.counts["repairsQueued"] == 0  # drift.repair is off: report only
    from sqlalchemy import func, select

    from hub.store.tables import AuditRecord
    with hub.db.reading() as s:  # LDV: every customer whose appointment was read and compared has a record
        persons = s.scalar(select(func.count()).where(AuditRecord.action == "job:drift: subject",
                                                      AuditRecord.data_subject_id.is_not(None)))
    assert persons == 1 <= result.counts["appointments"]  # the one with a customer
    with TestClient(create_app(hub)) as client:
        assert login(client).status_code == 303
        page = client.get("/console/drift")
        jobs = client.get("/console/jobs")
    assert page.status_code == 200 and f">{lost}</a>" in page.text and 'data-kind="missing"' in page.text
    assert 'data-job="drift"' in jobs.text


def test_a_calendar_graph_refuses_is_left_out_not_reported(hub: Hub,
                                                           sandbox: tuple[GraphSimulator, RegisterSimulator]) -> None:
    from sandbox.register.seed import EmployeeInfo

    _, register = sandbox
    ghost = EmployeeInfo(id="EMP-GHOST", name="N. Iemand", upn="n.iemand@example.nl", department="burgerzaken")
    register.catalog.employees[ghost.id] = ghost  # the register knows a mailbox Exchange does not
    try:
        booked = register.book(_local(22, 9), employee=ghost.id, room="SPREEKKAMER-3").id  # never delivered
        report = reconcile(hub, 14)
    finally:
        del register.catalog.employees[ghost.id]
    assert _summary(report.findings) == {("missing", booked, "room")}  # the room is compared, the ghost is not
    assert "1 calendar(s) could not be read" in report.skipped_peers["outlook"]
