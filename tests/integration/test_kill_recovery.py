"""A worker killed with SIGKILL mid-delivery: the sweeper recovers it and the work completes once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.registry import FlowRegistry
from tests.conftest import REDIS_URL
from tests.support.events import cloudevent
from tests.support.flows import Clock, register_blocking, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings, workdir: Path, broker_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFSPRAKENHUB_")}
    env.update({
        "AFSPRAKENHUB_DATABASE_URL": settings.database_url,
        "AFSPRAKENHUB_BROKER_URL": broker_url,
        "AFSPRAKENHUB_FLOW_MODULES": json.dumps(["tests.support.blocking_flows"]),
        "AFSPRAKENHUB_TEST_WORKDIR": str(workdir),
        "AFSPRAKENHUB_RETRY__LEASE_SECONDS": "60",
        "AFSPRAKENHUB_WORKER_THREADS": "1",
        "AFSPRAKENHUB_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    })
    return env


def _kill_mid_delivery(cmd: list[str], env: dict[str, str], workdir: Path) -> None:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        started = wait_for(lambda: any(workdir.glob("started-*")), timeout=60)
        detail = proc.stderr.read().decode()[-2000:] if proc.poll() is not None and proc.stderr else ""
        assert started, f"worker never started the delivery: {detail}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not (workdir / "effects").exists()  # killed before its effect


def _recover(settings: Settings, workdir: Path, delivery_id: int) -> Hub:
    (workdir / "release").write_text("go")
    registry = FlowRegistry()
    register_blocking(registry)
    clock = Clock(datetime.now(UTC))
    hub = Hub(settings, registry=registry, now=clock, worker_name="rescuer")
    assert hub.runtime.sweep() == 0  # the dead worker's lease has not expired yet
    clock.advance(61)
    hub.runtime.start_worker(2)
    assert hub.runtime.sweep() == 1
    return hub


def _assert_completed_once(hub: Hub, workdir: Path, delivery_id: int) -> None:
    from hub import operations

    view = operations.get_delivery(hub, delivery_id)
    assert view is not None and view.status == "succeeded" and view.attempts == 2
    assert (workdir / "effects").read_text().splitlines() == ["A-1001-v1"]


def _accept(settings: Settings) -> int:
    registry = FlowRegistry()
    register_blocking(registry)
    hub = Hub(settings, registry=registry)
    try:
        [accepted] = hub.intake.accept([parse_event(cloudevent())], "test")
        [delivery_id] = accepted.delivery_ids
        return delivery_id
    finally:
        hub.close()


def test_killed_worker_recovered_by_sweeper_embedded(settings: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFSPRAKENHUB_TEST_WORKDIR", str(tmp_path))
    delivery_id = _accept(settings)
    _kill_mid_delivery([sys.executable, "-m", "hub.cli", "deliver", str(delivery_id)],
                       _env(settings, tmp_path, "stub"), tmp_path)
    hub = _recover(settings, tmp_path, delivery_id)
    try:
        assert hub.runtime.join(30)
        _assert_completed_once(hub, tmp_path, delivery_id)
    finally:
        hub.close()


@pytest.mark.redis
def test_killed_worker_recovered_by_sweeper_redis(settings: Settings, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFSPRAKENHUB_TEST_WORKDIR", str(tmp_path))
    if not REDIS_URL:
        pytest.skip("Redis not configured: set AFSPRAKENHUB_TEST_REDIS_URL")
    redis.Redis.from_url(REDIS_URL).flushdb()
    redis_settings = settings.model_copy(update={"broker_url": REDIS_URL})
    delivery_id = _accept(redis_settings)
    sender = Hub(redis_settings, registry=FlowRegistry())
    try:
        env = _env(redis_settings, tmp_path, REDIS_URL)
        proc_cmd = [sys.executable, "-m", "hub.cli", "worker", "--threads", "1"]
        # The sender's message reaches the separate worker process through Redis.
        sender.runtime.enqueue(delivery_id)
        _kill_mid_delivery(proc_cmd, env, tmp_path)
    finally:
        sender.close()
    hub = _recover(redis_settings, tmp_path, delivery_id)
    try:
        assert wait_for(lambda: (tmp_path / "effects").exists(), timeout=60)
        from hub import operations

        assert wait_for(lambda: getattr(operations.get_delivery(hub, delivery_id), "status", "") == "succeeded",
                        timeout=30)
        _assert_completed_once(hub, tmp_path, delivery_id)
    finally:
        hub.close()
