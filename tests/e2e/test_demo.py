"""The main job end to end: sandbox peers, the hub over real HTTP, the scripted day, every part checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.demo.day import plan_day
from hub.demo.runner import run_demo


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
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["ok"] is True
    assert set(data) == {"ok", "flows", "durationS"} and data["flows"]["intake"]["dead"] == 0
