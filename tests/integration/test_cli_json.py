"""`--json` on the commands that report something: replay, purge, deliver, db upgrade, sync (listing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.bootstrap import Hub
from hub.cli import app
from hub.config import Settings, get_settings
from hub.model import parse_event
from tests.support.events import cloudevent
from tests.support.flows import Recorder, permanent

runner = CliRunner()


def _json(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _dead_delivery(settings: Settings, recorder: Recorder) -> int:
    recorder.failures = [permanent("REQUIRED_FIELD_MISSING")]
    hub = Hub(settings)
    try:
        [accepted] = hub.intake.accept([parse_event(cloudevent(appointment_id="A-1"))], "t")
        delivery_id = accepted.delivery_ids[0]
        hub.runtime.processor.process(delivery_id)
    finally:
        hub.close()
    return delivery_id


def test_replay_and_deliver_json(cli_env: Settings, recorder: Recorder) -> None:
    delivery_id = _dead_delivery(cli_env, recorder)
    bulk = _json("replay", "--status", "dead", "--json")
    assert isinstance(bulk, dict) and bulk["replayedNow"] == 1 and bulk["processedHere"] is True
    assert bulk["run"]["state"] == "done" and bulk["run"]["replayed"] == bulk["run"]["total"] == 1
    assert bulk["run"]["filter"]["status"] == "dead"
    assert _json("replay", str(delivery_id), "--json") == {"replayed": [], "processedHere": True}  # succeeded now
    data = _json("deliver", str(delivery_id), "--json")
    assert isinstance(data, dict) and set(data) == {"delivery", "status", "detail"} and data["delivery"] == delivery_id


def test_purge_json(cli_env: Settings) -> None:
    assert _json("purge", "--older-than", "30", "--json") == {"olderThanDays": 30, "events": 0, "links": 0}


def test_sync_listing_json(cli_env: Settings) -> None:
    jobs = _json("sync", "--json")
    assert isinstance(jobs, list)
    assert all(set(j) == {"job", "schedule", "description"} for j in jobs)


def test_db_upgrade_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    get_settings.cache_clear()
    try:
        assert _json("db", "upgrade", "--json") == {"schema": "up to date", "backend": "sqlite",
                                                    "database": f"sqlite:///{tmp_path / 'fresh.db'}"}
    finally:
        get_settings.cache_clear()
