"""Scheduled jobs: cron expressions in settings, one run per slot however many schedulers run."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from croniter import croniter
from sqlalchemy import select

from hub import ldv
from hub.loops import describe, run_loop
from hub.ports.capabilities import Capability
from hub.ports.register import UnsupportedError, require
from hub.store.tables import JobState

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.scheduler")


@dataclass(frozen=True)
class JobResult:
    """What a job run did; `counts` is printed by `sync` and stored as the run's detail."""

    outcome: str = "ok"
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    """A job: `run(hub, dry_run, **params)`; params are the job's own keyword arguments (date, days, …)."""

    name: str
    run: Callable[..., JobResult]
    default_schedule: str
    description: str
    #: What the job asks of the appointment register; lacking any, a run ends `skipped` without starting.
    needs: frozenset[Capability] = frozenset()
    #: What only part of the job asks of the register: lacking any, the job runs and skips (and counts) that part.
    uses: frozenset[Capability] = frozenset()

    def check_params(self, params: dict[str, Any]) -> None:
        """Refuse options the job does not take, naming them the way the CLI spells them."""
        signature = inspect.signature(self.run)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
            return
        unknown = sorted(set(params) - set(signature.parameters))
        if unknown:
            names = ", ".join("--" + u.replace("_", "-") for u in unknown)
            raise ValueError(f"job {self.name!r} does not take {names}")


#: name → job; flow modules add theirs with `register_job`.
JOBS: dict[str, JobSpec] = {}


JobFn = Callable[..., JobResult]


def register_job(name: str, *, schedule: str, description: str, needs: frozenset[Capability] = frozenset(),
                 uses: frozenset[Capability] = frozenset()) -> Callable[[JobFn], JobFn]:
    def add(fn: JobFn) -> JobFn:
        JOBS[name] = JobSpec(name, fn, schedule, description, needs, uses)
        return fn

    return add


def schedule_of(hub: Hub, job: JobSpec) -> str:
    return hub.settings.schedules.get(job.name, job.default_schedule)


def run_job(hub: Hub, name: str, *, dry_run: bool = False, actor: str = "cli",
            params: dict[str, Any] | None = None) -> JobResult:
    """Run one job now (`afsprakenhub sync NAME`) in its own span and processing (a new trace, LDV: a new
    processing); its peer calls and records belong to it. State is recorded unless it is a dry run."""
    from hub.jobs_tracing import job_processing  # opentelemetry is loaded when a job runs, not for `--help`

    with job_processing(hub, name, dry_run):
        return _run_job(hub, name, dry_run=dry_run, actor=actor, params=params)


def _run_job(hub: Hub, name: str, *, dry_run: bool, actor: str, params: dict[str, Any] | None) -> JobResult:
    try:
        job = JOBS[name]
    except KeyError:
        raise KeyError(f"no job named {name!r}; known: {', '.join(sorted(JOBS)) or 'none'}") from None
    params = params or {}
    job.check_params(params)
    log.info("job.start", job=name, dry_run=dry_run, **params)
    try:
        if job.needs:
            require(hub.peers.register, *job.needs)
        result = job.run(hub, dry_run, **params)
    except UnsupportedError as exc:  # the configured register cannot do what this job needs: skipped, said why
        log.warning("job.unsupported", job=name, reason=exc.reason)
        result = JobResult("skipped", {"note": exc.reason})
    except Exception as exc:
        _record(hub, name, None, "failed", f"{type(exc).__name__}")
        failed = ldv.current()  # the persons processed before the failure were processed all the same
        hub.audit.record(actor=actor, action=f"job:{name}", purpose=job.description, outcome="failed",
                         references={"dryRun": dry_run}, persons=failed.subjects if failed is not None else ())
        raise
    if not dry_run:
        _record(hub, name, None, result.outcome, str(result.counts))
    processing = ldv.current()
    hub.audit.record(actor=actor, action=f"job:{name}", purpose=job.description, outcome=result.outcome,
                     references={"dryRun": dry_run, **{k: v for k, v in result.counts.items()
                                                       if isinstance(v, int | float | str)}},
                     persons=processing.subjects if processing is not None else ())
    log.info("job.done", job=name, outcome=result.outcome, **result.counts)
    return result


def _record(hub: Hub, name: str, slot: datetime | None, outcome: str, detail: str) -> None:
    with hub.db.unit_of_work() as s:
        state = s.get(JobState, name) or JobState(job=name)
        s.add(state)
        if slot is not None:
            state.last_slot = slot
        state.last_run_at, state.last_outcome, state.last_detail = hub.now(), outcome, detail[:2000]


def _last_slot(hub: Hub, name: str) -> datetime | None:
    with hub.db.unit_of_work() as s:
        return s.scalar(select(JobState.last_slot).where(JobState.job == name))


class Scheduler:
    """Runs due jobs. Each slot of each job runs once: a lock plus the recorded last slot."""

    def __init__(self, hub: Hub, holder: str | None = None, lock_ttl: float = 3600.0) -> None:
        self.hub = hub
        self.holder = holder or hub.worker_name
        self.lock_ttl = lock_ttl

    def due_slot(self, job: JobSpec, now: datetime) -> datetime | None:
        # get_prev is strictly before its start: start just after `now` so a slot at `now` counts.
        slot: datetime = croniter(schedule_of(self.hub, job), now + timedelta(seconds=1)).get_prev(datetime)
        last = _last_slot(self.hub, job.name)
        return slot if last is None or slot > last else None

    def tick(self, now: datetime | None = None) -> list[str]:
        """Run every job whose current slot has not run yet; returns the names run by this scheduler."""
        now = now or self.hub.now()
        ran: list[str] = []
        for job in list(JOBS.values()):
            slot = self.due_slot(job, now)
            if slot is None:
                continue
            lock = f"job:{job.name}"
            if not self.hub.locks.acquire(lock, self.holder, self.lock_ttl):
                continue
            try:
                if self.due_slot(job, now) != slot:  # another scheduler ran it meanwhile
                    continue
                _record(self.hub, job.name, slot, "running", "")
                try:
                    run_job(self.hub, job.name, actor=f"scheduler:{self.holder}")
                except Exception:
                    log.exception("job.failed", job=job.name)
                ran.append(job.name)
            finally:
                self.hub.locks.release(lock, self.holder)
        return ran

    def run_forever(self, stop: threading.Event, interval: float = 15.0) -> None:
        """Tick every `interval` seconds until `stop`; a tick that fails (store down) is logged and retried."""
        log.info("scheduler.start", jobs=sorted(JOBS))
        try:
            self.tick()
        except Exception as exc:
            log.warning("loop.failed", loop="scheduler", error=describe(exc))
        run_loop("scheduler", interval, self.tick, stop)
