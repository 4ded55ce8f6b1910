"""Background loops survive any error, log it once (redacted), back off, and show in readiness and metrics."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from hub import loops
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.loops import STALE_AFTER_INTERVALS, LoopRegistry, run_loop
from hub.model import parse_event
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

WAIT = 60.0  # generous bound on a busy machine; the conditions below normally hold within milliseconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_failing_loop_logs_once_backs_off_recovers_and_stays_alive(debug_log: io.StringIO) -> None:
    registry = LoopRegistry()
    stop, recovered = threading.Event(), threading.Event()
    passes: list[str] = []

    def step() -> None:
        passes.append("try")
        if len(passes) <= 3:
            raise OperationalError("UPDATE locks SET holder=%(h)s", {"h": "jan@example.nl"}, Exception("gone"))
        recovered.set()

    thread = threading.Thread(target=run_loop, args=("test-loop", 0.001, step, stop, registry), daemon=True)
    thread.start()
    try:
        assert recovered.wait(WAIT)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(WAIT)
    lines = _lines(debug_log)
    failed = [ln for ln in lines if ln.get("event") == "loop.failed"]
    assert len(failed) == 1 and failed[0]["loop"] == "test-loop" and failed[0]["level"] == "warning"
    assert str(failed[0]["error"]) == "OperationalError: gone"  # no statement, no parameters
    assert "jan@example.nl" not in debug_log.getvalue()
    assert "Traceback" not in debug_log.getvalue()
    assert [ln["failed_passes"] for ln in lines if ln.get("event") == "loop.recovered"] == [3]
    assert registry.snapshot() == []  # stopped on purpose: no longer counted


def test_the_sweeper_survives_a_store_error_when_it_takes_its_lock(settings: Settings, recorder: Recorder) -> None:
    """A store restart made `locks.acquire` raise outside the sweeper's try: the thread ended for good."""
    fast = settings.model_copy(update={"retry": settings.retry.model_copy(
        update={"sweep_interval_seconds": 0.02, "sweep_grace_seconds": 0.0})})
    hub = Hub(fast, registry=registry_with(recorder), worker_name="test")
    try:
        hub.intake.accept([parse_event(cloudevent())], "test")  # its queue message was lost
        real_acquire = hub.locks.acquire
        failures = [OperationalError("SELECT 1", {}, Exception("server closed the connection"))] * 2

        def acquire(name: str, holder: str, ttl_seconds: float) -> bool:
            if failures:
                raise failures.pop()
            return real_acquire(name, holder, ttl_seconds)

        resent = threading.Event()
        hub.locks.acquire = acquire  # type: ignore[method-assign]
        hub.runtime.enqueue = lambda delivery_id, delay_seconds=0.0: resent.set()
        hub.runtime.start_sweeper()
        assert resent.wait(WAIT), "the sweeper stopped after a store error"
        assert failures == []
    finally:
        hub.close()


@pytest.fixture
def stale_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LoopRegistry, FakeClock]]:
    clock = FakeClock()
    registry = LoopRegistry(clock)
    monkeypatch.setattr(loops, "LOOPS", registry)
    yield registry, clock


def test_readiness_is_503_while_a_loop_has_not_passed_in_several_intervals(
        hub: Hub, stale_registry: tuple[LoopRegistry, FakeClock]) -> None:
    registry, clock = stale_registry
    beat = registry.register("sweeper", 30.0)
    with TestClient(create_app(hub)) as client:
        assert client.get("/api/v1/health/ready", headers=AUTH).json()["checks"]["loops"] == "up"
        clock.now += STALE_AFTER_INTERVALS * 30.0 + 1
        r = client.get("/api/v1/health/ready", headers=AUTH)
        assert r.status_code == 503 and r.json()["status"] == "down"
        assert "sweeper" in r.json()["checks"]["loops"]
        registry.passed(beat)
        assert client.get("/api/v1/health/ready", headers=AUTH).status_code == 200


def test_two_loops_of_one_name_keep_their_own_heartbeats() -> None:
    clock = FakeClock()
    registry = LoopRegistry(clock)
    first, second = registry.register("sweeper", 1.0), registry.register("sweeper", 1.0)
    registry.unregister(second)  # another hub in this process stopped its sweeper
    clock.now += STALE_AFTER_INTERVALS + 1
    assert registry.stale() == ["sweeper"]
    registry.failed(first, "OperationalError: gone")
    assert [b.failures for b in registry.snapshot()] == [1]


def test_metrics_show_each_loops_last_pass(hub: Hub) -> None:
    stop = threading.Event()
    passed = threading.Event()
    thread = threading.Thread(target=run_loop, args=("metrics-probe", 0.001, passed.set, stop), daemon=True)
    thread.start()
    try:
        assert passed.wait(WAIT)
        with TestClient(create_app(hub)) as client:
            body = client.get("/metrics", headers=AUTH).text
    finally:
        stop.set()
        thread.join(WAIT)
    [line] = [ln for ln in body.splitlines()
              if ln.startswith('afsprakenhub_loop_last_pass_timestamp_seconds{loop="metrics-probe"}')]
    assert float(line.split()[-1]) > 0


def test_the_scheduler_and_the_flusher_survive_a_store_error(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.console import peer_stats
    from hub.scheduler import Scheduler

    ticked, flushed = threading.Event(), threading.Event()
    ticks: list[int] = []

    def tick(self: Scheduler, now: object = None) -> list[str]:
        ticks.append(1)
        if len(ticks) <= 2:  # the first tick and the first loop pass meet a store that is away
            raise OperationalError("SELECT job_state", {}, Exception("server closed the connection"))
        ticked.set()
        return []

    flushes: list[int] = []

    def flush(_hub: Hub) -> None:
        flushes.append(1)
        if len(flushes) == 1:
            raise OperationalError("UPDATE peer_call_stats", {}, Exception("database is locked"))
        flushed.set()

    monkeypatch.setattr(Scheduler, "tick", tick)
    monkeypatch.setattr(peer_stats, "flush", flush)
    stop = threading.Event()
    scheduler = threading.Thread(target=Scheduler(hub).run_forever, args=(stop, 0.001), daemon=True)
    scheduler.start()
    flusher = peer_stats.start_flusher(hub, interval=0.001)
    try:
        assert ticked.wait(WAIT) and flushed.wait(WAIT)
        assert scheduler.is_alive()
    finally:
        stop.set()
        flusher.set()
        scheduler.join(WAIT)
