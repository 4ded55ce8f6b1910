"""Group commit at the intake: requests waiting together share one transaction; a bad one never fails the others."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.group_commit import GroupCommit
from hub.intake import Accepted, Submission
from hub.model import parse_event
from hub.store.tables import Delivery, InboxEvent
from tests.support.events import cloudevent


def _submission(*ids: str, caller: str = "tip") -> Submission:
    return Submission([parse_event(cloudevent(appointment_id=f"A-{i}", event_id=i)) for i in ids], caller)


def _count(hub: Hub, model: type) -> int:
    with hub.db.reading() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_accept_together_stores_each_submission_with_its_caller_and_a_repeat_once(hub: Hub) -> None:
    first, second = hub.intake.accept_together([_submission("e1", "e2"), _submission("e2", "e3", caller="nrc")])
    assert [a.duplicate for a in first] == [False, False]
    assert [a.duplicate for a in second] == [True, False]  # e2 again, in the same transaction
    assert second[0].inbox_id == first[1].inbox_id and not second[0].delivery_ids
    assert _count(hub, InboxEvent) == 3
    assert _count(hub, Delivery) == sum(len(a.delivery_ids) for a in [*first, *second]) > 0
    with hub.db.reading() as s:
        callers = dict(s.execute(select(InboxEvent.event_id, InboxEvent.caller)).all())
    assert callers == {"e1": "tip", "e2": "tip", "e3": "nrc"}


class _Gated:
    """Stands in for `Intake.accept_together`: records each call's submissions and holds the first call until
    released, so submissions arriving meanwhile queue for the next transaction."""

    def __init__(self, hub: Hub, refuse: str | None = None) -> None:
        self.real = hub.intake.accept_together
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.refuse = refuse

    def __call__(self, submissions: Sequence[Submission]) -> list[list[Accepted]]:
        ids = [e.id for sub in submissions for e in sub.events]
        self.calls.append(ids)
        if len(self.calls) == 1:
            self.entered.set()
            assert self.release.wait(30)
        if self.refuse in ids:
            raise ValueError("refused")
        return self.real(submissions)


async def _first_then_three(commits: GroupCommit, gated: _Gated) -> list[list[Accepted] | BaseException]:
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(commits.submit(_submission("a"), [None]))
    await loop.run_in_executor(None, gated.entered.wait)  # the writer holds the first transaction open
    rest = [asyncio.create_task(commits.submit(_submission(i), [None])) for i in ("b", "c", "d")]
    await asyncio.sleep(0)  # one turn of the loop: each task queues its submission (no time passes)
    gated.release.set()
    return list(await asyncio.gather(first, *rest, return_exceptions=True))


def test_submissions_waiting_during_a_commit_share_the_next_one(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    gated = _Gated(hub)
    monkeypatch.setattr(hub.intake, "accept_together", gated)
    answers = asyncio.run(_first_then_three(GroupCommit(hub), gated))
    assert gated.calls == [["a"], ["b", "c", "d"]]
    assert all(isinstance(a, list) and not a[0].duplicate for a in answers)
    assert _count(hub, InboxEvent) == 4


def test_a_failing_submission_fails_alone(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    gated = _Gated(hub, refuse="c")
    monkeypatch.setattr(hub.intake, "accept_together", gated)
    answers = asyncio.run(_first_then_three(GroupCommit(hub), gated))
    assert gated.calls == [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]  # the batch, then each alone
    assert isinstance(answers[2], ValueError)
    assert [isinstance(a, list) for a in answers] == [True, True, False, True]
    assert _count(hub, InboxEvent) == 3


def test_deliveries_are_queued_after_the_commit_with_their_trace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[tuple[tuple[int, ...], str | None, int]] = []

    def enqueue_many(ids: Sequence[int], traceparent: str | None = None) -> None:
        queued.append((tuple(ids), traceparent, _count(hub, InboxEvent)))  # what was committed by then

    monkeypatch.setattr(hub.runtime, "enqueue_many", enqueue_many)
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    [accepted] = asyncio.run(GroupCommit(hub).submit(_submission("t1"), [trace]))
    assert queued == [(accepted.delivery_ids, trace, 1)] and accepted.delivery_ids
