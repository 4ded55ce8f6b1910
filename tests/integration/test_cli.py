"""The operations CLI against a real store: status, deliveries, replay, trace, purge, db upgrade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.bootstrap import Hub
from hub.cli import app
from hub.config import Settings, get_settings
from hub.model import parse_event
from hub.ports.capabilities import Capability
from tests.support.events import cloudevent
from tests.support.flows import Recorder, permanent

runner = CliRunner()


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_status_json_shape(cli_env: Settings, recorder: Recorder) -> None:
    recorder.failures = [permanent("REQUIRED_FIELD_MISSING")]
    hub = Hub(cli_env)
    try:
        accepted = hub.intake.accept([parse_event(cloudevent(appointment_id=f"A-{i}")) for i in range(3)], "t")
        hub.runtime.processor.process(accepted[0].delivery_ids[0])
        hub.runtime.processor.process(accepted[1].delivery_ids[0])
    finally:
        hub.close()
    data = json.loads(_invoke("status", "--json"))
    assert data == {"inbox": {"received": 3, "processed": 2, "pending": 1},
                    "deliveries": {"recorder": {"pending": 1, "succeeded": 1, "failed": 0, "dead": 1,
                                                "skipped": 0}},
                    "unrouted": {},
                    "register": {"vendor": "canonical", "unsupported": [],
                                 "capabilities": [str(c) for c in Capability if c != Capability.QR_CODE]},
                    "peers": []}
    dead = json.loads(_invoke("deliveries", "list", "--status", "dead", "--json"))
    assert [d["lastError"] for d in dead] == ["REQUIRED_FIELD_MISSING"]
    assert "replayed 1 delivery" in _invoke("replay", "--flow", "recorder", "--status", "dead")
    assert json.loads(_invoke("status", "--json"))["deliveries"]["recorder"]["succeeded"] == 2
    trace = json.loads(_invoke("trace", "A-0", "--json"))
    assert trace["events"][0]["deliveries"][0]["status"] == "succeeded"
    assert "999993653" not in _invoke("trace", "A-0")


def test_replay_needs_a_target(cli_env: Settings) -> None:
    result = runner.invoke(app, ["replay"])
    assert result.exit_code == 2 and "Give a delivery id" in result.output


def test_purge_and_sync_listing(cli_env: Settings) -> None:
    assert "purged payloads of 0 events" in _invoke("purge", "--older-than", "30")
    assert _invoke("sync")  # lists the jobs (or says there are none)
    result = runner.invoke(app, ["sync", "no-such-job"])
    assert result.exit_code == 2 and "no job named" in result.output


def test_db_upgrade_on_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["status"])
        assert result.exit_code == 2 and "afsprakenhub db upgrade" in result.output
        assert "schema up to date" in _invoke("db", "upgrade")
        assert "schema up to date" in _invoke("db", "upgrade")  # idempotent
        assert json.loads(_invoke("status", "--json"))["inbox"]["received"] == 0
    finally:
        get_settings.cache_clear()


def test_start_up_warns_when_the_postgresql_server_runs_without_autovacuum(
        settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from hub import cli

    hub = Hub(settings, load_flows=False)
    try:
        if hub.db.backend == "postgresql":
            with hub.db.engine.connect() as conn:  # the server's own answer, read independently
                assert hub.db.autovacuum_off() is (conn.execute(text("SHOW autovacuum")).scalar() == "off")
        else:
            assert hub.db.autovacuum_off() is False  # SQLite has none
        monkeypatch.setattr(hub.db, "autovacuum_off", lambda: True)
        cli._announce_store(hub)
        assert "autovacuum off" in capsys.readouterr().err
        monkeypatch.setattr(hub.db, "autovacuum_off", lambda: False)
        cli._announce_store(hub)
        assert capsys.readouterr().err == ""
    finally:
        hub.close()
