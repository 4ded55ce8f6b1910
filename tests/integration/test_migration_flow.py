"""The JCC conversion end to end on loopback: JCC SOAP simulator → staging → register simulator."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.config import get_settings
from mappings import jcc as jcc_tables
from migration import steps
from migration.db import loaded, source
from sandbox.jcc.dataset import LOCATIONS
from tests.integration.test_migration_support import AUTUMN_DST, CUTOVER, FIRST, LAST, Sandbox, start_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start_sandbox(tmp_path)


def extract(sb: Sandbox, *, dry_run: bool = False, refresh: bool = False) -> dict[str, object]:
    ctx = sb.context()
    try:
        result = steps.run_extract_soap(ctx, sb.settings, wsdl=None, first=FIRST, last=LAST, locations=None,
                                        dry_run=dry_run, refresh=refresh, concurrency=4)
        if not dry_run:
            steps.run_extract_soap(ctx, sb.settings, wsdl=None, first=AUTUMN_DST, last=AUTUMN_DST, locations=None,
                                   dry_run=False, refresh=refresh, concurrency=4)
        return result
    finally:
        ctx.close()


def plan(sb: Sandbox) -> dict[str, object]:
    ctx = sb.context()
    try:
        return steps.run_plan(ctx, sb.settings, cutover=CUTOVER)
    finally:
        ctx.close()


def load(sb: Sandbox, **kwargs: object) -> dict[str, object]:
    ctx = sb.context()
    try:
        return steps.run_load(ctx, sb.settings, **kwargs)  # type: ignore[arg-type]
    finally:
        ctx.close()


def reconcile(sb: Sandbox, waivers: Path | None = None) -> dict[str, object]:
    ctx = sb.context()
    try:
        return steps.run_reconcile(ctx, sb.settings, waiver_file=waivers)
    finally:
        ctx.close()


def cli(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER_API__BASE_URL", sb.settings.register_api.base_url)
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER_API__TOKEN_URL", sb.settings.register_api.token_url)
    monkeypatch.setenv("AFSPRAKENHUB_MIGRATION__REGISTER_RATE_PER_SECOND", "500")
    get_settings.cache_clear()
    from hub.cli import app

    try:
        result = CliRunner().invoke(app, ["migrate", "--staging-db", sb.staging_url, *args])
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.stdout


def test_full_run_reconciles_and_a_deleted_appointment_is_reported_missing(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ex = extract(sandbox)
    assert ex["staged"] == sum(1 for r in sandbox.jcc.records.values() if FIRST <= r.start.date() <= LAST)
    planned = plan(sandbox)
    assert planned["reject"] == 4 and planned["update"] == 0 and planned["leave"] == 0
    assert planned["unmappedReference"] == {"products": ["15"], "locations": ["9"]}
    loaded_ = load(sandbox)
    assert loaded_["failed"] == 0 and loaded_["loaded"] == planned["create"]

    # the register holds each converted appointment once, marked, without customer notifications
    converted = sandbox.converted()
    assert len(converted) == planned["create"] == len(set(converted))
    assert sandbox.register.notifications_sent == []
    assert all(a.migrated for a in sandbox.register.appointments())
    multi = next(a for a in sandbox.register.appointments() if a.external_id == "jcc:100000")
    assert sorted((p.code, p.quantity) for p in multi.products) == [("ID-KAART-AANVRAAG", 1), ("PASPOORT-AANVRAAG", 2)]
    spring = next(a for a in sandbox.register.appointments() if a.external_id == "jcc:100005")
    assert spring.start.utcoffset() == timedelta(hours=2)  # 2027-03-28: the first day of summer time
    autumn = next(a for a in sandbox.register.appointments() if a.external_id == "jcc:100006")
    assert autumn.start.utcoffset() == timedelta(hours=1)  # 2027-10-31: back to winter time

    # only the four planted rejects are left; waived, the reconciliation is clean
    first = reconcile(sandbox)
    assert first["discrepancies"] == {"source-mismatch": 0, "missing": 0, "unexpected": 0, "mismatched": 0,
                                      "duplicate": 0, "rejected": 4}
    assert first["sourceCompared"] == planned["create"]  # every converted one, field by field against JCC
    assert first["clean"] is False
    code, _ = cli(sandbox, monkeypatch, "waivers-template", "--out", str(tmp_path / "w.yaml"))
    text = (tmp_path / "w.yaml").read_text().replace("TODO (", "accepted at dress rehearsal (")
    (tmp_path / "w.yaml").write_text(text)
    code, out = cli(sandbox, monkeypatch, "reconcile", "--waivers", str(tmp_path / "w.yaml"), "--json")
    assert code == 0, out
    assert json.loads(out)["clean"] is True and json.loads(out)["explainedTotal"] == 4
    code, out = cli(sandbox, monkeypatch, "report", "--out", str(tmp_path / "report"), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "go"
    html = (tmp_path / "report" / "report.html").read_text()
    assert "GO — no unexplained discrepancies" in html and "<svg" in html and "afsprakenhub migrate reconcile" in html
    assert "999993653" not in html

    # plant a discrepancy: one appointment disappears from the register
    victim = sandbox.register.state.by_external_id.pop("jcc:100002")
    sandbox.register.state.appointments.pop(victim)
    code, out = cli(sandbox, monkeypatch, "reconcile", "--waivers", str(tmp_path / "w.yaml"), "--json")
    assert code == 1
    summary = json.loads(out)
    assert summary["discrepancies"]["missing"] == 1 and summary["unexplainedTotal"] == 1
    code, _ = cli(sandbox, monkeypatch, "report", "--out", str(tmp_path / "report"))
    assert code == 1
    with (tmp_path / "report" / "discrepancies.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["external_id"] for r in rows if r["kind"] == "missing"] == ["jcc:100002"]
    assert "NO-GO" in (tmp_path / "report" / "report.html").read_text()


def test_mismatched_and_duplicate_are_found_field_by_field(sandbox: Sandbox) -> None:
    extract(sandbox)
    plan(sandbox)
    load(sandbox)
    rec = sandbox.register.state.get(sandbox.register.state.by_external_id["jcc:100000"])
    moved = rec.appointment.model_copy(update={"start": rec.appointment.start + timedelta(hours=1),
                                               "end": rec.appointment.end + timedelta(hours=1)})
    sandbox.register.state.store(moved, None)
    twin = sandbox.register.state.create({**rec.appointment.model_dump(exclude={"id", "version"})}, emit=False)
    assert twin.appointment.external_id == "jcc:100000"
    result = reconcile(sandbox)
    assert result["discrepancies"]["mismatched"] == 1 and result["mismatchedFields"] == {"start": 1}
    assert result["discrepancies"]["duplicate"] == 1


def test_dry_runs_write_nothing(sandbox: Sandbox) -> None:
    dry = extract(sandbox, dry_run=True)
    ctx = sandbox.context()
    assert ctx.staging.count(source) == 0 and dry["staged"] > 0
    ctx.close()
    extract(sandbox)
    planned = plan(sandbox)
    sandbox.register.calls.clear()
    result = load(sandbox, dry_run=True)
    assert result["pendingCreate"] == planned["create"] and result["loaded"] == 0
    assert sandbox.register.calls.all() == []  # not even a token request
    assert sandbox.converted() == []


def test_rerun_is_idempotent(sandbox: Sandbox) -> None:
    extract(sandbox)
    first = plan(sandbox)
    load(sandbox)
    again = plan(sandbox)
    assert again["create"] == 0 and again["update"] == 0 and again["leave"] == first["create"]
    sandbox.register.calls.clear()
    assert load(sandbox)["pending"] == 0
    assert sandbox.puts() == 0


def test_transient_register_failures_are_retried(sandbox: Sandbox) -> None:
    extract(sandbox)
    planned = plan(sandbox)
    sandbox.register.set_faults(fail_next=[503, 429, 503])
    result = load(sandbox)
    assert result["failed"] == 0 and result["loaded"] == planned["create"]
    assert len(sandbox.converted()) == planned["create"]


def test_a_permanent_failure_is_reported_and_tried_again_next_run(sandbox: Sandbox) -> None:
    extract(sandbox)
    planned = plan(sandbox)
    sandbox.register.set_faults(fail_next=[400])
    result = load(sandbox)
    assert result["failed"] == 1 and "400" in next(iter(result["failureReasons"]))  # type: ignore[call-overload]
    second = load(sandbox)
    assert second["loaded"] == 1 and second["failed"] == 0
    assert len(sandbox.converted()) == planned["create"]


def test_final_delta_drops_what_jcc_no_longer_has(sandbox: Sandbox) -> None:
    extract(sandbox)
    sandbox.jcc.delete("100003")
    again = extract(sandbox, refresh=True)
    assert again["removed"] == 1 and again["resumedPast"] == 0
    resumed = extract(sandbox)
    assert resumed["resumedPast"] == resumed["days"] * len(LOCATIONS)  # type: ignore[operator]


def test_export_file_is_staged_like_the_web_service(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(["appointmentID", "productID", "locationID", "appStartTime", "appEndTime", "clientID",
                      "clientLastName", "clientMail", "employeeID"])
        out.writerow(["9001", "1,1", "1", "2027-03-28T10:00:00", "2027-03-28T10:30:00", "999993653", "Dijk",
                      "jan@example.nl", "MW01"])
        out.writerow(["9002", "30", "4", "2027-03-29T10:00:00", "2027-03-29T10:15:00", "", "", "", "MW77"])
    ctx = sandbox.context()
    result = steps.run_extract_export(ctx, path, dry_run=False)
    assert result["staged"] == 2
    ctx.close()
    with pytest.raises(ValueError, match="nothing shows this JCC is the sandbox"):
        plan(sandbox)  # an export has no full catalogue: the shipped example only when named
    sandbox.settings = sandbox.settings.model_copy(update={"migration": sandbox.settings.migration.model_copy(
        update={"mapping_dir": Path(jcc_tables.__file__).parent})})
    planned = plan(sandbox)
    assert planned["create"] == 1 and planned["reject"] == 1
    assert any(r.startswith("unmapped-employee") for r in planned["rejectReasons"])  # type: ignore[union-attr]
    load(sandbox)
    a = next(a for a in sandbox.register.appointments() if a.external_id == "jcc:9001")
    assert a.employee is not None and a.employee.id == "EMP-001" and a.products[0].quantity == 2
    ctx = sandbox.context()
    assert ctx.staging.count(loaded) == 1
    ctx.close()
    result = reconcile(sandbox)  # the export's rows against the register, field by field
    assert result["sourceCompared"] == 1 and result["discrepancies"]["source-mismatch"] == 0  # type: ignore[index]


def test_rollback_cancels_converted_appointments_silently(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    extract(sandbox)
    planned = plan(sandbox)
    load(sandbox)
    sandbox.register.calls.clear()
    code, out = cli(sandbox, monkeypatch, "rollback", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["converted"] == planned["create"]
    assert not any(c.method == "POST" and c.path.endswith("/cancel") for c in sandbox.register.calls.all())
    code, out = cli(sandbox, monkeypatch, "rollback", "--yes", "--json")
    assert code == 0 and json.loads(out)["cancelled"] == planned["create"]
    assert all(a.status.value == "cancelled" for a in sandbox.register.appointments())
    assert sandbox.register.notifications_sent == []


@pytest.fixture
def create_only_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A register that can create, read and cancel, but not create or update by external id (as JCC G-Plan)."""
    from hub.ports import register_vendors

    monkeypatch.setitem(register_vendors.VENDORS, "fake", register_vendors.VendorSpec(
        "fake", "tests.support.fake_register:FakeSettings", "tests.support.fake_register:build"))
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__VENDOR", "fake")
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__FAKE__CAPABILITIES", "create,read-appointment,cancel,list-appointments")


def test_load_refuses_up_front_a_register_that_cannot_create_by_external_id(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, create_only_vendor: None) -> None:
    extract(sandbox)
    plan(sandbox)
    sandbox.register.calls.clear()
    for args in (["load", "--json"], ["load", "--dry-run", "--json"]):
        code, out = cli(sandbox, monkeypatch, *args)
        summary = json.loads(out)
        assert code == 2 and summary["error"] == "not supported by register fake: upsert-by-external-id"
        assert summary["unsupported"] == ["upsert-by-external-id"]
    code, out = cli(sandbox, monkeypatch, "run", "--source", "jcc-soap", "--from", FIRST.isoformat(),
                    "--to", LAST.isoformat(), "--json")
    assert code == 2 and json.loads(out)["error"] == "not supported by register fake: upsert-by-external-id"
    assert sandbox.register.calls.all() == [] and sandbox.converted() == []
