"""Scheduled jobs run once per slot, however many schedulers run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.registry import FlowRegistry
from hub.scheduler import JOBS, JobResult, JobSpec, Scheduler, run_job
from hub.store.tables import JobState
from tests.support.flows import Clock

runs: list[str] = []
gate = threading.Event()
entered = threading.Event()


def _quick(hub: Hub, dry_run: bool) -> JobResult:
    runs.append("quick")
    return JobResult(counts={"dryRun": dry_run})


def _slow(hub: Hub, dry_run: bool) -> JobResult:
    runs.append("slow")
    entered.set()
    assert gate.wait(30)
    return JobResult()


@pytest.fixture(autouse=True)
def jobs() -> Iterator[None]:
    saved = dict(JOBS)
    JOBS.clear()
    runs.clear()
    gate.clear()
    entered.clear()
    yield
    JOBS.clear()
    JOBS.update(saved)


def _hub(settings: Settings, clock: Clock, name: str) -> Hub:
    return Hub(settings, registry=FlowRegistry(), now=clock, worker_name=name)


def test_two_schedulers_run_a_slot_once(settings: Settings) -> None:
    JOBS["quick"] = JobSpec("quick", _quick, "*/15 * * * *", "test")
    clock = Clock(datetime(2027, 3, 1, 10, 1, tzinfo=UTC))
    a, b = _hub(settings, clock, "a"), _hub(settings, clock, "b")
    try:
        assert Scheduler(a).tick() == ["quick"]
        assert Scheduler(b).tick() == []
        clock.advance(14 * 60)  # next slot 10:15
        assert Scheduler(b).tick() == ["quick"] and Scheduler(a).tick() == []
        assert runs == ["quick", "quick"]
    finally:
        a.close()
        b.close()


def test_concurrent_scheduler_skips_while_lock_held(settings: Settings) -> None:
    JOBS["slow"] = JobSpec("slow", _slow, "0 * * * *", "test")
    clock = Clock(datetime(2027, 3, 1, 10, 5, tzinfo=UTC))
    a, b = _hub(settings, clock, "a"), _hub(settings, clock, "b")
    try:
        result: list[list[str]] = []
        t = threading.Thread(target=lambda: result.append(Scheduler(a).tick()))
        t.start()
        assert entered.wait(30)
        assert Scheduler(b).tick() == []  # lock held by a
        gate.set()
        t.join(30)
        assert result == [["slow"]] and runs == ["slow"]
        assert Scheduler(b).tick() == []  # slot already done
    finally:
        gate.set()
        a.close()
        b.close()


def test_run_job_once_records_state_and_dry_run_does_not(settings: Settings) -> None:
    JOBS["quick"] = JobSpec("quick", _quick, "0 6 * * *", "test")
    clock = Clock()
    h = _hub(settings, clock, "cli")
    try:
        assert run_job(h, "quick", dry_run=True).counts == {"dryRun": True}
        with h.db.unit_of_work() as s:
            assert s.scalar(select(JobState).where(JobState.job == "quick")) is None
        run_job(h, "quick")
        with h.db.unit_of_work() as s:
            state = s.get(JobState, "quick")
            assert state is not None and state.last_outcome == "ok"
        with pytest.raises(KeyError, match="no job named 'nope'"):
            run_job(h, "nope")
    finally:
        h.close()


def test_schedule_from_settings_overrides_default(settings: Settings) -> None:
    JOBS["quick"] = JobSpec("quick", _quick, "0 6 * * *", "test")
    clock = Clock(datetime(2027, 3, 1, 10, 1, tzinfo=UTC))
    h = _hub(settings.model_copy(update={"schedules": {"quick": "*/5 * * * *"}}), clock, "a")
    try:
        sched = Scheduler(h)
        assert sched.due_slot(JOBS["quick"], clock()) == datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
        sched.tick()
        clock.advance(timedelta(minutes=4).total_seconds())
        assert sched.tick() == ["quick"]
    finally:
        h.close()


def _dated(hub: Hub, dry_run: bool, date: str | None = None, force: bool = False) -> JobResult:
    runs.append(f"{date}:{force}")
    return JobResult()


def test_job_options_pass_through_and_unknown_ones_are_refused(settings: Settings) -> None:
    JOBS["dated"] = JobSpec("dated", _dated, "0 6 * * *", "test")
    h = _hub(settings, Clock(), "cli")
    try:
        run_job(h, "dated", params={"date": "2027-03-01", "force": True})
        assert runs == ["2027-03-01:True"]
        with pytest.raises(ValueError, match="does not take --weeks"):
            run_job(h, "dated", params={"weeks": 2})
    finally:
        h.close()


def test_lock_is_exclusive_until_it_expires(settings: Settings) -> None:
    clock = Clock()
    h = _hub(settings, clock, "a")
    try:
        assert h.locks.acquire("x", "a", 60) and h.locks.acquire("x", "a", 60)  # taken, then renewed
        assert not h.locks.acquire("x", "b", 60)
        clock.advance(61)
        assert h.locks.acquire("x", "b", 60) and not h.locks.acquire("x", "a", 60)
        h.locks.release("x", "b")
        assert h.locks.acquire("x", "a", 60)
    finally:
        h.close()
