"""Filtered bulk replay: preview, then a resumable run that pages by id, paces to the peer and replays each once.

A run is a row in `replay_runs`: its filter, the highest delivery id that matched when it started (`upto_id`, so
dead letters that arrive later are not chased), and a cursor. It walks the matching deliveries in keyset pages
(`id > cursor`, a few hundred ids at a time, never all of them in memory) and replays one second's worth at a
time; making a chunk pending and moving the cursor past it is one transaction, so a run interrupted anywhere and
resumed replays every delivery exactly once. A replayed delivery keeps its id; its `replays` count goes up and
the flow sees `InboundEvent.replay`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, select, update

from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent, ReplayRun

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.replay")

Replayable = Literal["dead", "failed", "skipped"]
PURPOSE = "operations: resend after failure"


class ReplayFilter(BaseModel):
    """Which deliveries a bulk replay takes; every field narrows (all empty: every dead letter)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Replayable = "dead"
    flow: str | None = None
    peer: str | None = None
    error_contains: str | None = Field(default=None, max_length=500)
    error_class: str | None = Field(default=None, max_length=100)
    since: datetime | None = None
    until: datetime | None = None
    appointment: str | None = Field(default=None, max_length=500)

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses (over `deliveries`) of this filter."""
        found = [Delivery.status == self.status]
        if self.flow:
            found.append(Delivery.flow == self.flow)
        if self.peer:
            found.append(Delivery.peer == self.peer)
        if self.error_contains:
            found.append(Delivery.last_error.contains(self.error_contains, autoescape=True))
        if self.error_class:
            found.append((Delivery.error_class == self.error_class)
                         | Delivery.error_class.startswith(self.error_class + ":", autoescape=True))
        if self.since:
            found.append(Delivery.created_at >= self.since)
        if self.until:
            found.append(Delivery.created_at < self.until)
        if self.appointment:
            found.append(Delivery.inbox_id.in_(select(InboxEvent.id).where(InboxEvent.subject == self.appointment)))
        return found


class Sample(BaseModel):
    """One matching delivery as a preview shows it (references only, no payload)."""

    id: int
    flow: str
    peer: str | None
    errorClass: str | None
    lastError: str | None
    subject: str | None
    createdAt: datetime
    replays: int


class Preview(BaseModel):
    count: int
    byFlow: dict[str, int]
    sample: list[Sample]


class RunView(BaseModel):
    id: int
    actor: str
    filter: ReplayFilter
    state: str
    total: int
    replayed: int
    cursor: int
    uptoId: int
    createdAt: datetime
    finishedAt: datetime | None


def preview(hub: Hub, f: ReplayFilter, sample: int = 10) -> Preview:
    """How many deliveries match, per flow, and the first `sample` of them."""
    with hub.db.reading() as s:
        by_flow = {flow: n for flow, n in s.execute(select(Delivery.flow, func.count()).where(*f.conditions())
                                                    .group_by(Delivery.flow).order_by(Delivery.flow))}
        rows = s.execute(select(Delivery.id, Delivery.flow, Delivery.peer, Delivery.error_class, Delivery.last_error,
                                InboxEvent.subject, Delivery.created_at, Delivery.replays)
                         .join(InboxEvent, InboxEvent.id == Delivery.inbox_id).where(*f.conditions())
                         .order_by(Delivery.id).limit(sample)).all()
    return Preview(count=sum(by_flow.values()), byFlow=by_flow, sample=[
        Sample(id=r.id, flow=r.flow, peer=r.peer, errorClass=r.error_class, lastError=r.last_error,
               subject=r.subject, createdAt=r.created_at, replays=r.replays) for r in rows])


def _view(run: ReplayRun) -> RunView:
    return RunView(id=run.id, actor=run.actor, filter=ReplayFilter.model_validate(run.filter), state=run.state,
                   total=run.total, replayed=run.replayed, cursor=run.cursor, uptoId=run.upto_id,
                   createdAt=run.created_at, finishedAt=run.finished_at)


def start(hub: Hub, f: ReplayFilter, actor: str) -> RunView:
    """Record a new run over what matches now (nothing replayed yet)."""
    now = hub.now()
    with hub.db.unit_of_work() as s:
        upto, total = s.execute(select(func.max(Delivery.id), func.count()).where(*f.conditions())).one()
        run = ReplayRun(actor=actor, filter=f.model_dump(mode="json"), upto_id=upto or 0, cursor=0, total=total,
                        replayed=0, state="running" if total else "done", created_at=now, updated_at=now,
                        finished_at=None if total else now)
        s.add(run)
        s.flush()
        view = _view(run)
    hub.audit.record(actor=actor, action="replay-start", purpose=PURPOSE, outcome=view.state,
                     references={"runId": view.id, "filter": view.filter.model_dump(mode="json", exclude_none=True),
                                 "total": total})
    log.info("replay.started", run_id=view.id, total=total, actor=actor)
    return view


def get_run(hub: Hub, run_id: int) -> RunView | None:
    with hub.db.reading() as s:
        run = s.get(ReplayRun, run_id)
        return _view(run) if run else None


def list_runs(hub: Hub, limit: int = 20) -> list[RunView]:
    with hub.db.reading() as s:
        return [_view(r) for r in s.scalars(select(ReplayRun).order_by(ReplayRun.id.desc()).limit(limit))]


class Progress(BaseModel):
    """What one `run` call did: the run afterwards, and how many keyset pages it read (each ≤ page size)."""

    run: RunView
    replayedNow: int
    pages: int
    largestPage: int


def _pages(hub: Hub, f: ReplayFilter, after: int, upto: int, size: int, seen: list[int]) -> Iterator[list[int]]:
    """Matching delivery ids above `after`, up to `upto`, `size` at a time (keyset: no offset, no full list)."""
    while True:
        with hub.db.reading() as s:
            ids = list(s.scalars(select(Delivery.id).where(*f.conditions(), Delivery.id > after, Delivery.id <= upto)
                                 .order_by(Delivery.id).limit(size)))
        seen.append(len(ids))
        if not ids:
            return
        yield ids
        after = ids[-1]


def _replay_chunk(hub: Hub, run_id: int, f: ReplayFilter, ids: list[int], actor: str) -> list[int] | None:
    """Make `ids` pending (those still in the filter's state), move the cursor past them and audit it, as one
    transaction.

    None when the run's cursor is already past them (another process resumed the same run): nothing done.
    """
    now = hub.now()
    with hub.db.unit_of_work() as s:
        cursor = s.scalar(select(ReplayRun.cursor).where(ReplayRun.id == run_id).with_for_update())
        if cursor is None or cursor >= ids[-1]:
            return None
        todo = [i for i in ids if i > cursor]
        rows = s.execute(update(Delivery).where(Delivery.id.in_(todo), Delivery.status == f.status).values(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, leased_until=None, finished_at=None,
            updated_at=now, replays=Delivery.replays + 1).returning(Delivery.id, Delivery.inbox_id)).all()
        done = [r.id for r in rows]
        if rows:
            s.execute(update(InboxEvent).where(InboxEvent.id.in_(sorted({r.inbox_id for r in rows})))
                      .values(processed_at=None))
        s.execute(update(ReplayRun).where(ReplayRun.id == run_id).values(
            cursor=ids[-1], replayed=ReplayRun.replayed + len(done), updated_at=now))
        if done:
            s.add(AuditRecord(at=now, actor=actor, action="replay", purpose=PURPOSE, outcome="queued",
                              references={"runId": run_id, "deliveryIds": sorted(done)}))
    return sorted(done)


def run(hub: Hub, run_id: int, *, rate: float, page_size: int = 500,
        deliver: Callable[[list[int]], None] | None = None,
        on_progress: Callable[[RunView], None] | None = None, stop: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Progress:
    """Replay what run `run_id` still has to do, at most `rate` deliveries per second; resumable at any point.

    `deliver` gets each replayed chunk after its commit (default: queue it); a lost hand-over is safe, the
    sweeper sends pending deliveries again. Stops early, resumable, when `stop` is set.
    """
    current = get_run(hub, run_id)
    if current is None:
        raise KeyError(f"no replay run {run_id}")
    deliver = deliver or hub.runtime.enqueue_many
    f = current.filter
    chunk = max(1, math.ceil(rate))  # one second's worth per transaction
    started, sent, seen = clock(), 0, list[int]()
    renewed = started
    holder = f"replay:{hub.worker_name}"
    lock = f"replay-run:{run_id}"
    if current.state != "done" and not hub.locks.acquire(lock, holder, 300):
        raise RuntimeError(f"replay run {run_id} is running elsewhere (lock {lock}); try again when it stops")
    try:
        if current.state != "done":
            _set_state(hub, run_id, "running")
            for page in _pages(hub, f, current.cursor, current.uptoId, page_size, seen):
                for at in range(0, len(page), chunk):
                    if stop is not None and stop.is_set():
                        _set_state(hub, run_id, "interrupted")
                        return _progress(hub, run_id, sent, seen)
                    done = _replay_chunk(hub, run_id, f, page[at:at + chunk], current.actor)
                    if done:
                        deliver(done)
                        sent += len(done)
                    if clock() - renewed > 60:
                        hub.locks.acquire(lock, holder, 300)  # renew: the run is alive
                        renewed = clock()
                    if on_progress is not None:
                        view = get_run(hub, run_id)
                        assert view is not None
                        on_progress(view)
                    ahead = sent / rate - (clock() - started)
                    if ahead > 0:
                        sleep(ahead)
            _set_state(hub, run_id, "done")
            log.info("replay.done", run_id=run_id, replayed_now=sent)
            hub.audit.record(actor=current.actor, action="replay-done", purpose=PURPOSE, outcome="done",
                             references={"runId": run_id, "replayedNow": sent})
    except BaseException:
        try:
            _set_state(hub, run_id, "interrupted")
        except Exception as exc:  # the store is gone too: the run stays `running`, and resumes all the same
            log.warning("replay.state_not_saved", run_id=run_id, error=type(exc).__name__)
        raise
    finally:
        hub.locks.release(lock, holder)
    return _progress(hub, run_id, sent, seen)


def _progress(hub: Hub, run_id: int, sent: int, seen: list[int]) -> Progress:
    view = get_run(hub, run_id)
    assert view is not None
    return Progress(run=view, replayedNow=sent, pages=len(seen), largestPage=max(seen, default=0))


def _set_state(hub: Hub, run_id: int, state: str) -> None:
    now = hub.now()
    with hub.db.unit_of_work() as s:
        s.execute(update(ReplayRun).where(ReplayRun.id == run_id).values(
            state=state, updated_at=now, finished_at=now if state == "done" else None))
