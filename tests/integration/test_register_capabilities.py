"""The capability matrix at work: a flow or job the configured register cannot serve ends `skipped`, saying why.

Every flow and job that declares register needs is tried against a register lacking each need in turn: the
delivery (or run) ends `skipped` with "not supported by register <vendor>: <capability>", the flow's code is
not run and the register is not called. With every capability the same flow runs (the control).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import flows  # noqa: F401 - registers every flow and job
from hub.bootstrap import Hub
from hub.config import Settings
from hub.context import FlowContext, InboundEvent
from hub.delivery import DeliveryProcessor
from hub.model import CloudEvent
from hub.ports import register_vendors
from hub.ports.register import ALL_CAPABILITIES, Capability
from hub.register_matrix import announce, register_report
from hub.registry import REGISTRY, FlowRegistry, FlowSpec
from hub.scheduler import JOBS, JobResult, run_job
from hub.store.tables import Delivery, DeliveryStatus, JobState
from tests.support.fake_register import InMemoryRegister

FLOWS_WITH_NEEDS = sorted(name for name, spec in REGISTRY.flows.items() if spec.needs)
JOBS_WITH_NEEDS = sorted(name for name, spec in JOBS.items() if spec.needs)
FLOW_CASES = [(f, c) for f in FLOWS_WITH_NEEDS for c in sorted(REGISTRY.flows[f].needs)]
JOB_CASES = [(j, c) for j in JOBS_WITH_NEEDS for c in sorted(JOBS[j].needs)]


def test_the_flows_and_jobs_that_use_the_register_declare_it() -> None:
    assert set(FLOWS_WITH_NEEDS) == {"zaak_closure", "waste_depot_visit"}
    assert REGISTRY.get("zaak_closure").needs == {Capability.FIND_BY_CASE_REFERENCE, Capability.CLOSE,
                                                  Capability.READ_APPOINTMENT}
    assert set(JOBS_WITH_NEEDS) == {"roster", "roster-full", "calendars", "waste-depot-bookings", "drift"}
    assert JOBS["pickups"].uses == {Capability.FIND_BY_CUSTOMER, Capability.COMPLETE, Capability.CANCEL}


class Ran:
    def __init__(self) -> None:
        self.count = 0

    def handler(self, event: InboundEvent, ctx: FlowContext) -> str | None:
        self.count += 1
        return "ran"


def _deliver(settings: Settings, spec: FlowSpec, register: InMemoryRegister) -> tuple[Any, Delivery]:
    registry = FlowRegistry()
    registry.add(spec)
    hub = Hub(settings, registry=registry, peers={"register": register}, worker_name="test")
    try:
        event = CloudEvent(specversion="1.0", id="e-1", source="urn:test", type=spec.consumes[0].rstrip("*"),
                           subject="A-1", data={})
        accepted = hub.intake.accept([event], "test")
        (delivery_id,) = accepted[0].delivery_ids
        outcome = DeliveryProcessor(hub, "test").process(delivery_id)
        with hub.db.unit_of_work() as s:
            delivery = s.scalars(select(Delivery).where(Delivery.id == delivery_id)).one()
            s.expunge(delivery)
        return outcome, delivery
    finally:
        hub.close()


@pytest.mark.parametrize(("flow", "lacking"), FLOW_CASES)
def test_a_flow_whose_need_is_missing_is_skipped_with_the_reason(settings: Settings, flow: str,
                                                                  lacking: Capability) -> None:
    ran = Ran()
    spec = dataclasses.replace(REGISTRY.get(flow), handler=ran.handler)
    register = InMemoryRegister(capabilities=ALL_CAPABILITIES - {lacking}, vendor="jcc-rest")
    outcome, delivery = _deliver(settings, spec, register)
    reason = f"not supported by register jcc-rest: {lacking}"
    assert (outcome.status, outcome.detail) == (DeliveryStatus.SKIPPED, reason)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.SKIPPED, reason)
    assert ran.count == 0 and register.calls == []


@pytest.mark.parametrize("flow", FLOWS_WITH_NEEDS)
def test_a_flow_runs_when_the_register_has_what_it_needs(settings: Settings, flow: str) -> None:
    ran = Ran()
    spec = dataclasses.replace(REGISTRY.get(flow), handler=ran.handler)
    outcome, _ = _deliver(settings, spec, InMemoryRegister(capabilities=REGISTRY.get(flow).needs))
    assert outcome.status == DeliveryStatus.SUCCEEDED and ran.count == 1


def test_unsupported_raised_by_the_adapter_mid_flow_is_skipped_not_dead(settings: Settings) -> None:
    def wants_a_qr_code(event: InboundEvent, ctx: FlowContext) -> str | None:
        ctx.peers.register.qr_code("A-1")
        return "silently fine"

    spec = FlowSpec("qr", ("nl.test.qr",), wants_a_qr_code, "test", ordered=False)
    register = InMemoryRegister(capabilities=ALL_CAPABILITIES - {Capability.QR_CODE}, vendor="qmatic")
    _, delivery = _deliver(settings, spec, register)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.SKIPPED,
                                                      "not supported by register qmatic: qr-code")


@pytest.fixture
def job_hub(settings: Settings) -> Iterator[tuple[Hub, InMemoryRegister]]:
    register = InMemoryRegister()
    hub = Hub(settings, registry=FlowRegistry(), peers={"register": register}, worker_name="test")
    yield hub, register
    hub.close()


@pytest.mark.parametrize(("job", "lacking"), JOB_CASES)
def test_a_job_whose_need_is_missing_is_skipped_with_the_reason(job_hub: tuple[Hub, InMemoryRegister],
                                                                monkeypatch: pytest.MonkeyPatch, job: str,
                                                                lacking: Capability) -> None:
    hub, register = job_hub
    register.capabilities = ALL_CAPABILITIES - {lacking}
    runs: list[str] = []

    def run(hub: Hub, dry_run: bool, **params: Any) -> JobResult:
        runs.append(job)
        return JobResult("ok")

    monkeypatch.setitem(JOBS, job, dataclasses.replace(JOBS[job], run=run))
    result = run_job(hub, job)
    assert result.outcome == "skipped"
    assert result.counts == {"note": f"not supported by register fake: {lacking}"}
    assert runs == [] and register.calls == []
    with hub.db.unit_of_work() as s:
        state = s.get(JobState, job)
        assert state is not None and state.last_outcome == "skipped"


@pytest.mark.parametrize("job", JOBS_WITH_NEEDS)
def test_a_job_runs_when_the_register_has_what_it_needs(job_hub: tuple[Hub, InMemoryRegister],
                                                        monkeypatch: pytest.MonkeyPatch, job: str) -> None:
    hub, register = job_hub
    register.capabilities = JOBS[job].needs
    monkeypatch.setitem(JOBS, job, dataclasses.replace(JOBS[job], run=lambda hub, dry_run: JobResult("ok")))
    assert run_job(hub, job).outcome == "ok"


def test_status_and_start_report_every_gap(job_hub: tuple[Hub, InMemoryRegister], debug_log: Any) -> None:
    hub, register = job_hub
    hub.registry.add(REGISTRY.get("zaak_closure"))
    register.capabilities = ALL_CAPABILITIES - {Capability.CLOSE, Capability.FIND_BY_CUSTOMER}
    report = register_report(hub)
    assert report["vendor"] == "fake" and "close" not in report["capabilities"]
    assert {(g["kind"], g["name"], g["reason"], g["partial"]) for g in report["unsupported"]} == {
        ("flow", "zaak_closure", "not supported by register fake: close", False),
        ("job", "pickups", "not supported by register fake: find-by-customer", True),
    }
    lines = announce(hub)
    assert "flow zaak_closure: not supported by register fake: close" in lines
    logged = [json.loads(line) for line in debug_log.getvalue().splitlines()]
    assert {(e["name"], e["reason"]) for e in logged if e.get("event") == "register.unsupported"} == {
        ("zaak_closure", "not supported by register fake: close"),
        ("pickups", "not supported by register fake: find-by-customer")}


def test_a_register_with_everything_reports_no_gap(job_hub: tuple[Hub, InMemoryRegister]) -> None:
    hub, _ = job_hub
    hub.registry.add(REGISTRY.get("zaak_closure"))
    assert register_report(hub)["unsupported"] == []


@pytest.fixture
def fake_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(register_vendors.VENDORS, "fake", register_vendors.VendorSpec(
        "fake", "tests.support.fake_register:FakeSettings", "tests.support.fake_register:build"))


def test_status_json_names_the_vendor_and_its_gaps(settings: Settings, fake_vendor: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.cli import app

    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__VENDOR", "fake")
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__FAKE__CAPABILITIES", 'read-appointment,check-in')
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["register"]
    assert data["vendor"] == "fake" and data["capabilities"] == ["read-appointment", "check-in"]
    reasons = {g["name"]: g["reason"] for g in data["unsupported"]}
    assert reasons["zaak_closure"] == "not supported by register fake: find-by-case-reference, close"
    assert "waste_depot_visit" not in reasons
    assert reasons["roster"] == "not supported by register fake: list-appointments, staffing-blocks"
    text = CliRunner().invoke(app, ["status"])
    assert "flow zaak_closure: not supported by register fake: find-by-case-reference, close" in text.stdout


def test_contract_test_reports_the_gaps_as_skipped_checks(fake_vendor: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests.runner import capability_checks
    from hub.config import get_settings

    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__VENDOR", "fake")
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__FAKE__CAPABILITIES", 'check-in,read-appointment')
    get_settings.cache_clear()
    try:
        checks = capability_checks()
    finally:
        get_settings.cache_clear()
    by_check = {c.check: c for c in checks}
    zaak = by_check["capabilities flow zaak_closure"]
    assert (zaak.system, zaak.result, zaak.detail) == (
        "register", "skipped", "not supported by register fake: find-by-case-reference, close")
    assert "capabilities flow waste_depot_visit" not in by_check


def test_serve_and_worker_start_warn_about_each_gap(job_hub: tuple[Hub, InMemoryRegister],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from hub.cli import _announce_register

    hub, register = job_hub
    hub.registry.add(REGISTRY.get("waste_depot_visit"))
    register.capabilities = ALL_CAPABILITIES - {Capability.CHECK_IN}
    _announce_register(hub)
    assert "warning: flow waste_depot_visit: not supported by register fake: check-in" in capsys.readouterr().err
    register.capabilities = ALL_CAPABILITIES
    _announce_register(hub)
    assert capsys.readouterr().err == ""
