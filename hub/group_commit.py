"""Group commit for the intake: requests arriving together share one transaction, each answered after its commit.

One writer thread per hub takes every submission waiting when it is free, stores them with ONE
`Intake.accept_together` (one transaction; on PostgreSQL one statement), queues their deliveries and then answers
each request on its event loop. A lone request is committed at once (nothing waits for company); under load the
batch is what arrived during the previous commit. When a batch fails, each of its submissions is tried alone, so
one bad request never fails the others. The event loop never hops to a threadpool per request.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.intake import Accepted, Submission

if TYPE_CHECKING:
    from hub.bootstrap import Hub

#: events per transaction at most (a batch ends at the submission that crosses it)
MAX_EVENTS_PER_COMMIT = 1000
#: the writer thread ends after this long without work (seconds); the next submission starts a new one
IDLE_SECONDS = 5.0


@dataclass(frozen=True)
class _Waiting:
    submission: Submission
    traceparents: Sequence[str | None]
    future: asyncio.Future[list[Accepted]]
    loop: asyncio.AbstractEventLoop


class GroupCommit:
    """`await commits.submit(submission, traceparents)`: the submission's events stored (and their deliveries
    queued, each message with its event's traceparent), or the store's exception."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    async def submit(self, submission: Submission, traceparents: Sequence[str | None]) -> list[Accepted]:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(submission, traceparents, loop.create_future(), loop)
        with self._lock:
            self._queue.put(waiting)
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="intake-group-commit", daemon=True).start()
        return await waiting.future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            events = len(first.submission.events)
            while events < MAX_EVENTS_PER_COMMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(more)
                events += len(more.submission.events)
            self._answer(self._commit(batch))

    def _commit(self, batch: list[_Waiting]) -> list[tuple[_Waiting, list[Accepted] | BaseException]]:
        """Store the batch in one transaction (each submission alone when that fails), then queue the
        deliveries of what was stored."""
        outcomes: list[tuple[_Waiting, list[Accepted] | BaseException]] = []
        try:
            stored = self._hub.intake.accept_together([w.submission for w in batch])
            outcomes = list(zip(batch, stored, strict=True))
        except Exception:
            for w in batch:
                try:
                    outcomes.append((w, self._hub.intake.accept_together([w.submission])[0]))
                except Exception as exc:
                    outcomes.append((w, exc))
        queued: list[tuple[_Waiting, list[Accepted] | BaseException]] = []
        for w, outcome in outcomes:
            if not isinstance(outcome, BaseException):
                try:  # committed first: a message lost here is re-sent by the sweeper
                    for accepted, traceparent in zip(outcome, w.traceparents, strict=True):
                        self._hub.runtime.enqueue_many(accepted.delivery_ids, traceparent=traceparent)
                except Exception as exc:
                    outcome = exc
            queued.append((w, outcome))
        return queued

    @staticmethod
    def _answer(outcomes: list[tuple[_Waiting, list[Accepted] | BaseException]]) -> None:
        """Wake each event loop once for the whole batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Waiting, list[Accepted] | BaseException]]] = (
            defaultdict(list))
        for w, outcome in outcomes:
            by_loop[w.loop].append((w, outcome))
        for loop, answers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, answers)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass


def _settle(answers: list[tuple[_Waiting, list[Accepted] | BaseException]]) -> None:
    for w, outcome in answers:
        if w.future.done():  # the request was cancelled (client gone); what was stored stays stored
            continue
        if isinstance(outcome, BaseException):
            w.future.set_exception(outcome)
        else:
            w.future.set_result(outcome)


def group_commit(hub: Hub) -> GroupCommit:
    """The hub's group commit (one writer per hub)."""
    with _CREATING:
        found = _BY_HUB.get(hub)
        if found is None:
            found = _BY_HUB[hub] = GroupCommit(hub)
        return found


_BY_HUB: weakref.WeakKeyDictionary[Hub, GroupCommit] = weakref.WeakKeyDictionary()
_CREATING = threading.Lock()
