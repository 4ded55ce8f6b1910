"""How fresh the gate's data is: the last successful register read and pass-list refresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from flows.waste_depot.jobs import BOOKINGS_JOB, PASSES_JOB
from hub.store import waste_depot as store

if TYPE_CHECKING:
    from hub.bootstrap import Hub

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
    b = _freshness(store.last_refreshed(hub.db, BOOKINGS_JOB), bookings, now, limit)
    p = _freshness(store.last_refreshed(hub.db, PASSES_JOB), passes, now, limit)
    status = "up" if b.status == "fresh" and p.status == "fresh" else "stale"
    return GateReadiness(status=status, bookings=b, passes=p, newest_booking_change=newest)
