"""The console's waste-depot page: the scans of a day at the gates (default today), and how fresh the gate's
bookings and pass list are. Shows no pass number and no name: the store holds neither."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.console.rendering import ConsoleHub, operator, page
from hub.store.tables import JobState
from hub.store.waste_depot_tables import WasteDepotBooking, WasteDepotPass, WasteDepotScan

router = APIRouter()
LOCAL = ZoneInfo("Europe/Amsterdam")
JOBS = ("waste-depot-bookings", "waste-depot-passes")


@dataclass(frozen=True)
class ScanLine:
    at: datetime
    gate_id: str
    appointment_id: str | None
    decision: str
    reason: str


@dataclass(frozen=True)
class Freshness:
    job: str
    refreshed_at: datetime | None
    outcome: str | None
    rows: int


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in Europe/Amsterdam, in UTC (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0), LOCAL).astimezone(UTC)
    nxt = day + timedelta(days=1)
    return start, datetime.combine(nxt, time(0), LOCAL).astimezone(UTC)


def scans_of(hub: Hub, day: date, limit: int = 1000) -> list[ScanLine]:
    from flows.waste_depot.scan_log import flush_scans

    flush_scans(hub)  # this process's queued scans first, so the page shows the scan just made
    start, end = day_bounds(day)
    t = WasteDepotScan
    with hub.db.reading() as s:
        rows = s.execute(select(t.at, t.gate_id, t.appointment_id, t.decision, t.reason)
                         .where(t.at >= start, t.at < end).order_by(t.at.desc(), t.id.desc()).limit(limit)).all()
    return [ScanLine(*r) for r in rows]


def _refreshed(watermark: dict[str, Any] | None) -> datetime | None:
    value = (watermark or {}).get("refreshedAt")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def freshness(hub: Hub) -> list[Freshness]:
    """Per job: its last successful refresh, its last run's outcome, and the rows it keeps."""
    with hub.db.reading() as s:
        states = {j: (_refreshed(w), o) for j, w, o in s.execute(
            select(JobState.job, JobState.watermark, JobState.last_outcome).where(JobState.job.in_(JOBS)))}
        bookings = s.scalar(select(func.count()).select_from(WasteDepotBooking)) or 0
        passes = s.scalar(select(func.count()).select_from(WasteDepotPass)) or 0
    rows = dict(zip(JOBS, (bookings, passes), strict=True))
    return [Freshness(j, *states.get(j, (None, None)), rows=rows[j]) for j in JOBS]


@router.get("/waste-depot", response_class=HTMLResponse)
def waste_depot(request: Request, hub: ConsoleHub,
                day: Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "") -> Response:
    who = operator(request)
    shown = date.fromisoformat(day) if day else hub.now().astimezone(LOCAL).date()
    scans = scans_of(hub, shown)
    counts = Counter(s.reason for s in scans)
    return page(request, "waste_depot.html.j2", who=who, day=shown.isoformat(), scans=scans,
                counts=sorted(counts.items()), allowed=sum(s.decision == "allow" for s in scans),
                fresh=freshness(hub), previous=(shown - timedelta(days=1)).isoformat(),
                following=(shown + timedelta(days=1)).isoformat())
