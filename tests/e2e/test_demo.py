"""The main job end to end: sandbox peers, the hub over real HTTP, the scripted day, every part checked."""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.config import get_settings
from hub.demo.day import plan_day
from hub.demo.runner import DemoReport, run_demo


def test_day_plan_is_reproducible_and_varied() -> None:
    a, b = plan_day(7, 240), plan_day(7, 240)
    assert [(p.scenario, p.start, p.customer) for p in a.appointments] == \
        [(p.scenario, p.start, p.customer) for p in b.appointments]
    scenarios = {p.scenario for p in a.appointments}
    assert {"booked", "rescheduled", "cancelled", "visited", "no-show", "reassigned"} <= scenarios
    assert any(p.anonymous for p in a.appointments) and any(p.group_size > 1 for p in a.appointments)
    assert len({p.location for p in a.appointments}) >= 3 and len({p.channel for p in a.appointments}) >= 2


@pytest.mark.slow
def test_demo_reports_every_event_once(tmp_path: Path) -> None:
    report = run_demo(seed=11, count=60, workdir=tmp_path)
    rows = {r.name: r for r in report.rows}
    assert rows["intake"].expected > 60 and rows["intake"].observed == rows["intake"].expected
    assert report.ok, [r for r in report.rows if not r.ok]
    assert (tmp_path / "demo.db").exists() and (tmp_path / "hub.log").stat().st_size > 0
    log_text = (tmp_path / "hub.log").read_text()
    assert "999993653" not in log_text and "@example.nl" not in log_text


@pytest.mark.slow
def test_demo_cli_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--json", "--appointments", "30", "--seed", "3"])
    data = json.loads(result.stdout)  # stdout is the JSON document alone; progress goes to stderr
    assert result.exit_code == 0 and data["ok"] is True
    assert set(data) == {"ok", "flows", "durationS"} and data["flows"]["intake"]["dead"] == 0
    # 30 asked for, plus the waste-depot part's own appointments
    assert re.search(r"demo: playing the day: \d+ appointments", result.stderr) and "demo: checking" in result.stderr


SCRATCH_PREFIXES = ("demo-jcc-", "demo-kcm-sftp-", "demo-rostarcas-drop-", "demo-roster-reports-", "afsprakenhub-k2b-",
                    "demo-waste-depot-passes-")


@pytest.mark.slow
def test_demo_cli_shows_progress_details_in_full_and_keeps_its_folders(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress on the terminal; details and paths below the table, whole at 80 columns; no folder in /tmp."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))  # where the simulators' folders used to go
    workdir = tmp_path / "work"
    (workdir / "tmp" / "demo-jcc-left-from-last-run").mkdir(parents=True)
    result = CliRunner().invoke(app, ["demo", "--appointments", "30", "--seed", "3", "--workdir", str(workdir)],
                                terminal_width=80)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for phase in ("demo: starting the sandbox peers", "demo: up: hub http://127.0.0.1:",
                  "demo: playing the day: ", "the register emitted", "demo: after the day 1/",
                  "demo: checking what every peer holds"):
        assert phase in out, phase
    table, _, below = out.partition("details:")
    assert "detail" not in table.split("\n", 3)[2]  # the header has no detail column any more
    scratch = workdir / "tmp"
    roster_line = next(line for line in below.splitlines() if line.strip().startswith("roster_conflicts:"))
    assert str(scratch) in roster_line and "demo-roster-reports-" in roster_line  # the whole path, on one line
    assert f"simulators' files: {scratch}" in below and f"data: {workdir / 'demo.db'}" in below
    assert list(system_tmp.iterdir()) == []
    made = sorted(p.name for p in scratch.iterdir())
    assert all(name.startswith(SCRATCH_PREFIXES) for name in made), made
    assert {prefix for prefix in SCRATCH_PREFIXES if any(name.startswith(prefix) for name in made)} == \
        set(SCRATCH_PREFIXES)
    assert "demo-jcc-left-from-last-run" not in made  # emptied at the start of each run


@pytest.mark.slow
def test_keep_running_prints_console_token_and_status_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `demo --keep-running` prints while it holds: the console URL, a token, a status line that works."""
    from rich.console import Console

    from hub.cli import _print_running

    printed: list[str] = []

    def hold(report: DemoReport) -> None:
        console = Console(width=80, record=True, file=io.StringIO())
        _print_running(report, console)
        printed.append(console.export_text())

    monkeypatch.chdir(tmp_path)
    run_demo(seed=5, count=20, workdir=Path("relative-work"), keep_running=True, on_ready=hold)
    [text] = printed
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in text.splitlines() if ":" in line}
    assert lines["console"].startswith("http://127.0.0.1:") and "/console/" in lines["console"]
    assert not lines["token"].startswith("-") and len(lines["token"]) >= 30
    command = lines["store"]
    assert command.startswith("AFSPRAKENHUB_DATABASE_URL=sqlite:///") and command.endswith(" afsprakenhub status")
    url = command.split("=", 1)[1].split(" ", 1)[0]
    assert url == f"sqlite:///{tmp_path / 'relative-work' / 'demo.db'}"  # absolute: works from any folder
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", url)
    monkeypatch.setenv("AFSPRAKENHUB_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    try:
        status = CliRunner().invoke(app, ["status", "--json"])
    finally:
        get_settings.cache_clear()
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["inbox"]["received"] > 20


def test_tokens_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.demo import runner

    answers = iter(["-starts-with-dash", "--also", "fine-token"])
    monkeypatch.setattr(runner.secrets, "token_urlsafe", lambda n: next(answers))
    assert runner.new_token() == "fine-token"


@pytest.mark.slow
@pytest.mark.parametrize("vendor", ["jcc-rest", "qmatic"])
def test_demo_on_a_vendor_register_runs_what_it_supports_and_names_what_it_does_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str) -> None:
    """The day runs against the vendor's simulator: every row it supports ends ok, the others are shown as
    unsupported with the capability, the appointments read back through the port equal, and the exit is 0."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--json", "--appointments", "30", "--seed", "3", "--register", vendor])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["ok"] is True, result.stdout
    flows = data["flows"]
    unsupported = {name: row["unsupported"] for name, row in flows.items() if "unsupported" in row}
    assert unsupported["zaak_closure"] == f"not supported by register {vendor}: find-by-case-reference, close"
    assert unsupported["roster"] == f"not supported by register {vendor}: list-appointments, staffing-blocks"
    assert unsupported["waste_depot/visits"] == f"not supported by register {vendor}: check-in"
    assert unsupported["jcc-conversion"].endswith("upsert-by-external-id")
    supported = {name: row for name, row in flows.items() if name not in unsupported}
    assert {"intake", "contact_moments", "calendars", "surveys", "waste_depot/gate", f"register {vendor}",
            "pickup_readiness: ready"} <= set(supported)
    assert all(row["expected"] == row["observed"] and row["dead"] == 0 for row in supported.values())
    assert flows[f"register {vendor}"]["expected"] >= 30  # the day's appointments, read back through the port
    assert f"register {vendor}" in result.stderr


def test_demo_refuses_an_unknown_register() -> None:
    result = CliRunner().invoke(app, ["demo", "--register", "acme"])
    assert result.exit_code == 2 and "--register acme: unknown register; known: canonical, jcc-rest, qmatic" in \
        result.stderr
def test_demo_outage_salesforce_opens_recovers_replays_and_ends_all_ok(tmp_path: Path) -> None:
    from hub.demo.outage import run_outage_demo

    said: list[str] = []
    report = run_outage_demo("salesforce", seed=13, count=45, workdir=tmp_path, progress=said.append)
    assert report.ok, [r for r in report.rows if not r.ok]
    rows = {r.name: r for r in report.rows}
    assert rows["outage salesforce: breaker opened, probed, closed"].observed == 3
    waited = rows["outage salesforce: waited without spending attempts"]
    assert waited.expected > 0 and waited.observed == waited.expected
    replayed = rows["outage salesforce: dead letters replayed"]
    assert replayed.expected > 0 and replayed.observed == replayed.expected and replayed.dead == 0
    assert any("breaker open" in line or "breaker half_open" in line for line in said)
    assert rows["outage salesforce: alert sent, then resolved"].observed == 2
    alerts = [line for line in said if "alert →" in line and "salesforce" in line]
    assert "Storing: koppeling met salesforce staat open" in alerts[0] and "Opgelost" in alerts[-1]
    assert "999993653" not in (tmp_path / "hub.log").read_text()


def test_demo_outage_refuses_an_unknown_peer() -> None:
    result = CliRunner().invoke(app, ["demo", "--outage", "nosuchpeer"])
    assert result.exit_code == 2 and "choose one of" in result.output
