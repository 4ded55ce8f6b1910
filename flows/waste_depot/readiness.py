"""How fresh the gate's data is: the last successful register read and pass-list refresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import select

from flows.waste_depot import store
from flows.waste_depot.jobs import BOOKINGS_JOB, PASSES_JOB
from hub.store.tables import JobState

if TYPE_CHECKING:
    from hub.bootstrap import Hub

GOOD = ("ok", "partial")


class Freshness(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status: str  # fresh | stale | never
    refreshed_at: datetime | None
    age_seconds: int | None
    count: int


class GateReadiness(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status: str  # up | stale
    bookings: Freshness
    passes: Freshness
    newest_booking_change: datetime | None


def _last_good(hub: Hub, job: str) -> datetime | None:
    """When the job last finished ok (a run in progress or failed keeps the previous good time unknown)."""
    with hub.db.reading() as s:
        row = s.execute(select(JobState.last_run_at, JobState.last_outcome).where(JobState.job == job)).first()
    return row[0] if row is not None and row[1] in GOOD else None


def _freshness(at: datetime | None, count: int, now: datetime, limit: timedelta) -> Freshness:
    if at is None:
        return Freshness(status="never", refreshed_at=None, age_seconds=None, count=count)
    age = now - at
    return Freshness(status="fresh" if age <= limit else "stale", refreshed_at=at,
                     age_seconds=max(0, int(age.total_seconds())), count=count)


def readiness(hub: Hub) -> GateReadiness:
    now = hub.now()
    limit = timedelta(minutes=hub.settings.waste_depot.stale_after_minutes)
    bookings, passes, newest = store.counts(hub.db)
    b = _freshness(_last_good(hub, BOOKINGS_JOB), bookings, now, limit)
    p = _freshness(_last_good(hub, PASSES_JOB), passes, now, limit)
    status = "up" if b.status == "fresh" and p.status == "fresh" else "stale"
    return GateReadiness(status=status, bookings=b, passes=p, newest_booking_change=newest)
