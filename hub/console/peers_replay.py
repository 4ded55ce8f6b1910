"""The console's peers page (breaker state, pause, resume) and bulk replay (preview, confirm, runs with progress)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hub import replay as bulk
from hub.bootstrap import Hub
from hub.breaker import states
from hub.console.rendering import ConsoleHub, check_csrf, operator, page
from hub.replay import ReplayFilter
from hub.when import parse_duration, parse_moment

router = APIRouter()
log = structlog.get_logger("afsprakenhub.console")
FIELDS = ("status", "flow", "peer", "error", "error_class", "since", "until", "appointment")


def replay_filter(values: dict[str, str]) -> ReplayFilter:
    """The filter from the page's fields (empty fields do not narrow); ValueError with a one-line message."""
    try:
        return ReplayFilter(
            status=values.get("status") or "dead",
            flow=values.get("flow") or None, peer=values.get("peer") or None,
            error_contains=values.get("error") or None, error_class=values.get("error_class") or None,
            since=parse_moment(values["since"]) if values.get("since") else None,
            until=parse_moment(values["until"]) if values.get("until") else None,
            appointment=values.get("appointment") or None)
    except ValidationError as exc:
        raise ValueError(f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None


def _known(hub: Hub) -> list[str]:
    """Every connector name and every peer the breaker has a row for."""
    from hub.peers import peer_names

    return sorted(peer_names() | {s.peer for s in states(hub)})


def start_in_background(hub: Hub, run_id: int, actor: str) -> None:
    """Run (or resume) a bulk replay in a daemon thread of the console's process, paced to the peer."""
    view = bulk.get_run(hub, run_id)
    assert view is not None
    rate = hub.settings.breaker.rate_for(view.filter.peer)

    def work() -> None:
        try:
            bulk.run(hub, run_id, rate=rate, page_size=hub.settings.breaker.replay_page_size)
        except Exception:
            log.exception("console.replay_failed", run_id=run_id, actor=actor)

    threading.Thread(target=work, name=f"console-replay-{run_id}", daemon=True).start()


@router.get("/peers", response_class=HTMLResponse)
def peers(request: Request, hub: ConsoleHub, error: str = "") -> Response:
    who = operator(request)
    found = {s.peer: s for s in states(hub)}
    names = _known(hub)
    return page(request, "peers.html.j2", who=who, rows=[found.get(p) for p in names], names=names, error=error)

@router.post("/peers/{peer}/pause")
def pause(request: Request, hub: ConsoleHub, peer: str, csrf: Annotated[str, Form()] = "",
          until: Annotated[str, Form()] = "", for_: Annotated[str, Form(alias="for")] = "",
          reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = operator(request)
    check_csrf(request, csrf)
    if peer not in _known(hub):
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    try:
        end: datetime | None = parse_moment(until) if until else (
            hub.now() + parse_duration(for_) if for_ else None)
    except ValueError as exc:
        return RedirectResponse(f"/console/peers?{urlencode({'error': str(exc)})}", status_code=303)
    hub.breaker.pause(peer, until=end, reason=reason or None, actor=f"console:{who.name}")
    return RedirectResponse("/console/peers", status_code=303)

@router.post("/peers/{peer}/resume")
def resume(request: Request, hub: ConsoleHub, peer: str, csrf: Annotated[str, Form()] = "") -> Response:
    who = operator(request)
    check_csrf(request, csrf)
    if peer not in _known(hub):
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    hub.breaker.resume(peer, actor=f"console:{who.name}")
    return RedirectResponse("/console/peers", status_code=303)

@router.get("/bulk-replay", response_class=HTMLResponse)
def preview(request: Request, hub: ConsoleHub,
            status: Annotated[str, Query(pattern="^(dead|failed|skipped)?$")] = "dead",
            flow: str = "", peer: str = "", error: str = "", error_class: str = "", since: str = "",
            until: str = "", appointment: str = "") -> Response:
    who = operator(request)
    values = {"status": status, "flow": flow, "peer": peer, "error": error, "error_class": error_class,
              "since": since, "until": until, "appointment": appointment}
    try:
        found = bulk.preview(hub, replay_filter(values), sample=20)
        problem = ""
    except ValueError as exc:
        found, problem = None, str(exc)
    return page(request, "bulk_replay.html.j2", who=who, filters=values, found=found, problem=problem,
                runs=bulk.list_runs(hub, 10), flows=sorted(hub.registry.flows))

@router.post("/bulk-replay")
def confirm(request: Request, hub: ConsoleHub, csrf: Annotated[str, Form()] = "",
            status: Annotated[str, Form()] = "dead",
            flow: Annotated[str, Form()] = "", peer: Annotated[str, Form()] = "",
            error: Annotated[str, Form()] = "", error_class: Annotated[str, Form()] = "",
            since: Annotated[str, Form()] = "", until: Annotated[str, Form()] = "",
            appointment: Annotated[str, Form()] = "", expected: Annotated[int, Form()] = -1) -> Response:
    who = operator(request)
    check_csrf(request, csrf)
    values = {"status": status, "flow": flow, "peer": peer, "error": error, "error_class": error_class,
              "since": since, "until": until, "appointment": appointment}
    try:
        chosen = replay_filter(values)
    except ValueError as exc:
        return RedirectResponse(f"/console/bulk-replay?{urlencode({**values, 'error': str(exc)})}",
                                status_code=303)
    run = bulk.start(hub, chosen, f"console:{who.name}")
    if expected >= 0 and run.total != expected:
        log.info("console.replay_count_changed", run_id=run.id, previewed=expected, now=run.total)
    if run.state != "done":
        start_in_background(hub, run.id, f"console:{who.name}")
    return RedirectResponse(f"/console/bulk-replay/runs/{run.id}", status_code=303)

@router.get("/bulk-replay/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, hub: ConsoleHub, run_id: int) -> Response:
    who = operator(request)
    found = bulk.get_run(hub, run_id)
    if found is None:
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    return page(request, "bulk_replay_run.html.j2", who=who, run=found)

@router.post("/bulk-replay/runs/{run_id}/resume")
def resume_run(request: Request, hub: ConsoleHub, run_id: int, csrf: Annotated[str, Form()] = "") -> Response:
    who = operator(request)
    check_csrf(request, csrf)
    found = bulk.get_run(hub, run_id)
    if found is None:
        return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
    if found.state != "done":
        start_in_background(hub, run_id, f"console:{who.name}")
    return RedirectResponse(f"/console/bulk-replay/runs/{run_id}", status_code=303)
