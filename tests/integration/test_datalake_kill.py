"""A crash half way through an export leaves no duplicate and no gap: kill -9 the exporter, run again, compare."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

from connectors.datalake import DatalakeSettings
from flows.datalake.contract import keys_of
from flows.datalake.export import EVENT_TABLES, export_datalake
from hub.bootstrap import Hub
from tests.support.lake import read, seed_events

ROOT = Path(__file__).resolve().parents[2]


def _kill_after(env: dict[str, str], table: str, commits: int) -> str:
    """Start the child, wait (bounded) for its signal line, SIGKILL it; return the line."""
    child = subprocess.Popen([sys.executable, "-m", "tests.support.lake_child", table, str(commits)], cwd=ROOT,
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    assert child.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(child.stdout.readline() if child.stdout else ""))
    reader.start()
    reader.join(timeout=120)
    try:
        assert line and line[0].startswith("COMMITTED"), f"child did not reach the kill point: {line}"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                pipe.close()
    assert child.returncode == -signal.SIGKILL
    return line[0]


@pytest.mark.timeout(600)  # three exports and a child process on a busy 2-core machine
@pytest.mark.parametrize(("table", "commits"), [("fact_appointment_version", 3), ("fact_appointment", 4),
                                                 ("fact_visit", 2), ("dim_room", 5)])
def test_kill_mid_export_then_resume_equals_one_clean_run(hub: Hub, tmp_path: Path, table: str, commits: int) -> None:
    seed_events(hub, 40)  # 40 bookings, 14 of them visited: 96 events, 10 batches of 10
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    env = {**os.environ, "AFSPRAKENHUB_DATABASE_URL": hub.settings.database_url,
           "AFSPRAKENHUB_DATALAKE__TARGET": str(crashed), "AFSPRAKENHUB_DATALAKE__SETTLE_SECONDS": "0",
           "AFSPRAKENHUB_DATALAKE__BATCH_SIZE": "10", "AFSPRAKENHUB_LOG_LEVEL": "WARNING"}
    _kill_after(env, table, commits)
    partial = read(crashed, "fact_appointment_version").height
    assert 0 < partial < 96  # it really stopped half way

    hub.settings.datalake = DatalakeSettings(target=str(crashed), settle_seconds=0, batch_size=10)
    export_datalake(hub)  # the next run goes on
    hub.settings.datalake = DatalakeSettings(target=str(clean), settle_seconds=0, batch_size=10)
    export_datalake(hub)
    for name in EVENT_TABLES:
        keys = keys_of(name)
        after_crash = read(crashed, name).sort(keys)
        assert after_crash.height == after_crash.select(keys).unique().height, f"{name}: duplicate keys"
        assert_frames_equal(after_crash, read(clean, name).sort(keys), name)
    assert read(crashed, "fact_appointment_version").height == 96


def assert_frames_equal(a: pl.DataFrame, b: pl.DataFrame, name: str) -> None:
    assert a.height == b.height, f"{name}: {a.height} rows after the crash, {b.height} in a clean run"
    assert a.equals(b), f"{name}: rows differ from a clean run"
