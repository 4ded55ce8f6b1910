"""Load shedding at the intake: 429 + Retry-After above the backlog bound; a fresh count costs no thread hop."""

from __future__ import annotations

import asyncio

import pytest

from hub.api import load_shedding
from hub.api.load_shedding import Backlog
from hub.api.problems import Problem
from hub.bootstrap import Hub
from hub.model import parse_event
from tests.support.events import cloudevent


def test_above_the_bound_the_intake_answers_429(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.intake.accept([parse_event(cloudevent(appointment_id=f"A-{i}")) for i in range(2)], "tip")
    monkeypatch.setattr(hub.settings, "intake_max_backlog", 1)
    with pytest.raises(Problem) as refused:
        asyncio.run(Backlog(hub).admit())
    assert refused.value.status == 429 and refused.value.headers
    assert refused.value.headers["Retry-After"] == str(hub.settings.intake_retry_after_seconds)


def test_a_fresh_count_is_read_on_the_event_loop(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    backlog = Backlog(hub)
    backlog.count()  # counted now: fresh for REFRESH_SECONDS

    async def no_thread(*args: object) -> int:
        raise AssertionError("a fresh count went to the threadpool")

    monkeypatch.setattr(load_shedding, "run_in_threadpool", no_thread)
    asyncio.run(backlog.admit())
