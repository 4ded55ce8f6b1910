"""The console's alerts page: open alerts (with their link to the page that shows the cause) and recent resolved."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.alerts.channels import configured_channels
from hub.alerts.engine import alert_rows
from hub.console.rendering import ConsoleHub, operator, page

router = APIRouter()


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, hub: ConsoleHub) -> Response:
    who = operator(request)
    rows = alert_rows(hub, include_resolved=True, limit=100)
    return page(request, "alerts.html.j2", who=who, open_rows=[r for r in rows if r.resolved_at is None],
                resolved_rows=[r for r in rows if r.resolved_at is not None][:25],
                channels=[c.name for c in configured_channels(hub.settings.alerts)])
