"""Scheduled jobs as the console shows them, and "run now" in the background under the scheduler's lock."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from croniter import croniter
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.scheduler import JOBS, run_job, schedule_of
from hub.store.tables import JobState, Lock

log = structlog.get_logger("afsprakenhub.console")
LOCK_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class JobRow:
    name: str
    description: str
    schedule: str
    last_run_at: datetime | None
    next_run_at: datetime
    outcome: str | None
    detail: str | None
    watermark: dict[str, Any] | None
    running: bool

    @property
    def state(self) -> str:
        """running, never, ok, job_failed or job_other (e.g. `partial`): the badge and its words."""
        if self.running or self.outcome == "running":
            return "running"
        if not self.outcome:
            return "never"
        return {"ok": "ok", "failed": "job_failed"}.get(self.outcome, "job_other")


def job_rows(hub: Hub) -> list[JobRow]:
    """Every registered job with its state, next slot and whether someone holds its lock now."""
    now = hub.now()

    with hub.db.unit_of_work() as s:
        states = {st.job: st for st in s.scalars(select(JobState))}
        held = set(s.scalars(select(Lock.name).where(Lock.expires_at > now)))
    rows = []
    for job in sorted(JOBS.values(), key=lambda j: j.name):
        st = states.get(job.name)
        schedule = schedule_of(hub, job)
        rows.append(JobRow(
            name=job.name, description=job.description, schedule=schedule,
            last_run_at=st.last_run_at if st else None, next_run_at=croniter(schedule, now).get_next(datetime),
            outcome=st.last_outcome if st else None, detail=st.last_detail if st else None,
            watermark=st.watermark if st else None, running=f"job:{job.name}" in held))
    return rows


def run_in_background(hub: Hub, name: str, actor: str) -> bool:
    """Start job `name` in a thread if nobody holds its lock; False when it is running already."""
    if name not in JOBS:
        raise KeyError(name)
    lock, holder = f"job:{name}", f"console:{uuid.uuid4().hex[:12]}"
    if not hub.locks.acquire(lock, holder, LOCK_TTL_SECONDS):
        return False

    def work() -> None:
        try:
            run_job(hub, name, actor=actor)
        except Exception:
            log.exception("console.job_failed", job=name)  # run_job recorded the outcome as failed
        finally:
            hub.locks.release(lock, holder)

    threading.Thread(target=work, name=f"console-job-{name}", daemon=True).start()
    return True


__all__ = ["JobRow", "job_rows", "run_in_background"]
