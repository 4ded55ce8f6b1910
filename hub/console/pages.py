"""The console's operations pages: overview, dead letters, a delivery, replay, trace, jobs and the JCC migration."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from hub import operations
from hub.console import jobs, queries
from hub.console.rendering import ConsoleHub, Csrf, check_csrf, operator, page
from hub.store.tables import DeliveryStatus

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, hub: ConsoleHub) -> Response:
    who = operator(request)
    return page(request, "overview.html.j2", who=who, **queries.overview(hub), states=DeliveryStatus.ALL)


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters(request: Request, hub: ConsoleHub,
                 status: Annotated[str, Query(pattern="^(dead|failed|skipped|pending|succeeded|all)$")] = "dead",
                 flow: str = "", error: str = "", appointment: str = "",
                 page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
    who = operator(request)
    size = hub.settings.console.page_size
    rows, more = queries.delivery_page(hub, status_=None if status == "all" else status, flow=flow or None,
                                       error=error or None, subject=appointment or None, page=page_no,
                                       size=size)
    return page(request, "dead_letters.html.j2", who=who, rows=rows, more=more, page_no=page_no,
                filters={"status": status, "flow": flow, "error": error, "appointment": appointment},
                flows=sorted(hub.registry.flows), states=("dead", "failed", "skipped", "pending", "succeeded"),
                replayable=queries.REPLAYABLE)


@router.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery(request: Request, hub: ConsoleHub, delivery_id: int) -> Response:
    who = operator(request)
    view, payload = queries.masked_event(hub, delivery_id)
    if view is None:
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    return page(request, "delivery.html.j2", who=who, d=view, payload=payload,
                replayable=queries.REPLAYABLE)


@router.post("/replay")
def replay(request: Request, hub: ConsoleHub, csrf: Csrf = "",
           ids: Annotated[list[int] | None, Form()] = None) -> Response:
    who = operator(request)
    check_csrf(request, csrf)
    queued = operations.replay(hub, list(ids or []), f"console:{who.name}")
    shown = ",".join(str(i) for i in (ids or []))
    return RedirectResponse(f"/console/replayed?ids={shown}&queued={len(queued)}", status_code=303)


@router.get("/replayed", response_class=HTMLResponse)
def replayed(request: Request, hub: ConsoleHub, ids: str = "", queued: int = 0) -> Response:
    who = operator(request)
    wanted = [int(i) for i in ids.split(",") if i.strip().isdigit()][:500]
    rows = [v for v in (operations.get_delivery(hub, i) for i in wanted) if v is not None]
    return page(request, "replayed.html.j2", who=who, rows=rows, queued=queued)


@router.get("/trace", response_class=HTMLResponse)
def trace(request: Request, hub: ConsoleHub, q: str = "") -> Response:
    who = operator(request)
    settings = hub.settings
    appointment = queries.resolve_appointment(hub, q) if q else None
    found = queries.trace(hub, appointment, settings.console.peer_ui_urls,
                          settings.tracing.viewer_url_template) if appointment else None
    return page(request, "trace.html.j2", who=who, q=q, found=found)


@router.get("/jobs", response_class=HTMLResponse)
def job_list(request: Request, hub: ConsoleHub, started: str = "", busy: str = "") -> Response:
    who = operator(request)
    return page(request, "jobs.html.j2", who=who, rows=jobs.job_rows(hub), started=started, busy=busy)


@router.post("/jobs/{name}/run")
def run_job(request: Request, hub: ConsoleHub, name: str, csrf: Csrf = "") -> Response:
    who = operator(request)
    check_csrf(request, csrf)
    try:
        started = jobs.run_in_background(hub, name, f"console:{who.name}")
    except KeyError:
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    flag = "started" if started else "busy"
    return RedirectResponse(f"/console/jobs?{flag}={quote(name)}", status_code=303)


@router.get("/migration", response_class=HTMLResponse)
def migration(request: Request, hub: ConsoleHub) -> Response:
    who = operator(request)
    runs = queries.migration_runs(hub.settings.migration.staging_database_url)
    return page(request, "migration.html.j2", who=who, runs=runs)


@router.get("/migration/runs/{run_id}/report")
def migration_report(request: Request, hub: ConsoleHub, run_id: int) -> Response:
    who = operator(request)
    path = queries.migration_report(hub.settings.migration.staging_database_url, run_id)
    if path is None:
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    return FileResponse(path, media_type="text/html; charset=utf-8")
