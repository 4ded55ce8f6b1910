"""The console's drift page: the last drift reconciliation's findings (stored by the `drift` job in its state)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.console.rendering import ConsoleHub, operator, page
from hub.store.tables import JobState

router = APIRouter()
#: The job (and job-state row) that keeps the last report in its watermark.
DRIFT_JOB = "drift"


def last_report(hub: Hub) -> dict[str, Any] | None:
    """The last drift report (as stored: counts and findings, no personal data), or None before the first run."""
    with hub.db.reading() as s:
        watermark = s.scalar(select(JobState.watermark).where(JobState.job == DRIFT_JOB))
    return watermark if isinstance(watermark, dict) and "findings" in watermark else None


@router.get("/drift", response_class=HTMLResponse)
def drift(request: Request, hub: ConsoleHub) -> Response:
    who = operator(request)
    return page(request, "drift.html.j2", who=who, report=last_report(hub))
