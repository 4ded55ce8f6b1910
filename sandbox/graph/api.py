"""The Graph simulator's HTTP API: Entra token endpoint and the `/v1.0` calendar routes, `$batch` included."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from sandbox.graph.state import graph_time, to_utc

if TYPE_CHECKING:
    from sandbox.graph.simulator import GraphSimulator

VERSION = "/v1.0"
MAX_BATCH = 20
Answer = tuple[int, Any, dict[str, str]]


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return status, {"error": {"code": code, "message": message}}, headers or {}


def add_routes(app: FastAPI, sim: GraphSimulator) -> None:
    """Install `/login/{tenant}/oauth2/v2.0/token` and `/v1.0/...` on the simulator's app."""
    app.add_api_route("/login/{tenant}/oauth2/v2.0/token", sim.tokens.token_endpoint, methods=["POST"],
                      tags=["oauth"])

    @app.api_route(VERSION + "/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"], tags=["graph"])
    async def graph(path: str, request: Request,
                    authorization: Annotated[str | None, Header()] = None) -> Response:
        token = authorization.removeprefix("Bearer ").strip() if authorization else ""
        if not token or not sim.tokens.valid(token):
            return _respond(graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid."))
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return _respond(graph_error(400, "BadRequest", "Unable to read JSON request payload."))
        query = dict(parse_qsl(request.url.query))
        headers = {k.lower(): v for k, v in request.headers.items()}
        if path == "$batch" and request.method == "POST":
            return _respond(batch(sim, body))
        return _respond(dispatch(sim, request.method, "/" + path, query, body, headers))


def _respond(answer: Answer) -> Response:
    status, body, headers = answer
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def batch(sim: GraphSimulator, body: Any) -> Answer:
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        return graph_error(400, "BadRequest", "Invalid batch payload format.")
    if len(requests) > MAX_BATCH:
        return graph_error(400, "BadRequest", f"Too many requests: at most {MAX_BATCH} in one batch.")
    ids = [r.get("id") for r in requests if isinstance(r, dict)]
    if len(ids) != len(requests) or len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        return graph_error(400, "BadRequest", "Every request needs a unique string id.")
    sim.batch_sizes.append(len(requests))
    responses = []
    for item in requests:
        if sim.take_item_throttle():
            status, answer, headers = graph_error(429, "TooManyRequests", "Please retry after.",
                                                  {"Retry-After": str(sim.item_retry_after_s)})
        else:
            url = urlsplit(str(item.get("url", "")))
            status, answer, headers = dispatch(
                sim, str(item.get("method", "GET")).upper(), unquote(url.path),
                dict(parse_qsl(url.query)), item.get("body"),
                {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()})
        out: dict[str, Any] = {"id": item["id"], "status": status, "headers": headers}
        if answer is not None:
            out["body"] = answer
        responses.append(out)
    return 200, {"responses": responses}, {}


def dispatch(sim: GraphSimulator, method: str, path: str, query: dict[str, str], body: Any,
             headers: dict[str, str]) -> Answer:
    """One Graph request below `/v1.0` (also each request inside a `$batch`)."""
    sim.requests.append((method, path))
    parts = [p for p in path.split("/") if p]
    if len(parts) < 3 or parts[0] != "users":
        return graph_error(400, "BadRequest", "Unsupported request.")
    mailbox = unquote(parts[1]).lower()
    if not sim.state.known(mailbox):
        return graph_error(404, "ErrorInvalidUser", f"The requested user '{mailbox}' is invalid.")
    rest = parts[2:]
    routes: dict[tuple[str, int, str], Callable[[], Answer]] = {
        ("POST", 1, "events"): lambda: _create(sim, mailbox, body),
        ("GET", 1, "events"): lambda: (200, {"value": [e.wire() for e in sim.state.in_mailbox(mailbox)]}, {}),
        ("GET", 2, "events"): lambda: _get(sim, mailbox, rest[-1]),
        ("PATCH", 2, "events"): lambda: _patch(sim, mailbox, rest[-1], body),
        ("DELETE", 2, "events"): lambda: _delete(sim, mailbox, rest[-1]),
        ("GET", 1, "calendarView"): lambda: _view(sim, mailbox, path, query),
        ("POST", 2, "calendar"): lambda: _schedule(sim, body) if rest[-1] == "getSchedule" else
        graph_error(400, "BadRequest", "Unsupported request."),
    }
    handler = routes.get((method, len(rest), rest[0]))
    if handler is None:
        return graph_error(405, "MethodNotAllowed", "Unsupported request.")
    return handler()


def _create(sim: GraphSimulator, mailbox: str, body: Any) -> Answer:
    if not isinstance(body, dict) or "start" not in body or "end" not in body:
        return graph_error(400, "ErrorInvalidRequest", "An event needs start and end.")
    try:
        event, _ = sim.state.create(mailbox, body)
    except (KeyError, ValueError):
        return graph_error(400, "ErrorInvalidRequest", "Invalid start or end.")
    return 201, event.wire(), {"Location": f"/users/{mailbox}/events/{event.id}"}


def _get(sim: GraphSimulator, mailbox: str, event_id: str) -> Answer:
    event = sim.state.get(mailbox, unquote(event_id))
    if event is None:
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return 200, event.wire(), {}


def _patch(sim: GraphSimulator, mailbox: str, event_id: str, body: Any) -> Answer:
    if not isinstance(body, dict):
        return graph_error(400, "ErrorInvalidRequest", "A PATCH needs a JSON object.")
    event = sim.state.update(mailbox, unquote(event_id), body)
    if event is None:
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return 200, event.wire(), {}


def _delete(sim: GraphSimulator, mailbox: str, event_id: str) -> Answer:
    if not sim.state.delete(mailbox, unquote(event_id)):
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return 204, None, {}


def _view(sim: GraphSimulator, mailbox: str, path: str, query: dict[str, str]) -> Answer:
    try:
        start = to_utc({"dateTime": query["startDateTime"], "timeZone": "UTC"})
        end = to_utc({"dateTime": query["endDateTime"], "timeZone": "UTC"})
    except (KeyError, ValueError):
        return graph_error(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required.")
    top, skip = int(query.get("$top", "10")), int(query.get("$skip", "0"))
    events = sim.state.in_mailbox(mailbox, start, end)
    fields = [f for f in query.get("$select", "").split(",") if f]
    page = [{k: v for k, v in e.wire().items() if not fields or k in fields or k == "id"}
            for e in events[skip:skip + top]]
    out: dict[str, Any] = {"value": page}
    if skip + top < len(events):
        out["@odata.nextLink"] = f"{sim.graph_url}{path}?{urlencode({**query, '$skip': str(skip + top)})}"
    return 200, out, {}


def _schedule(sim: GraphSimulator, body: Any) -> Answer:
    try:
        schedules = [str(s) for s in body["schedules"]]
        start, end = to_utc(body["startTime"]), to_utc(body["endTime"])
        interval = int(body.get("availabilityViewInterval", 30))
    except (KeyError, TypeError, ValueError):
        return graph_error(400, "ErrorInvalidRequest", "schedules, startTime and endTime are required.")
    if not 5 <= interval <= 1440 or end - start > timedelta(days=62):
        return graph_error(400, "ErrorInvalidParameter", "Invalid interval or period.")
    codes = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}
    value: list[dict[str, Any]] = []
    for schedule in schedules:
        if not sim.state.known(schedule):
            value.append({"scheduleId": schedule,
                          "error": {"message": "unknown", "responseCode": "ErrorInvalidSmtpAddress"}})
            continue
        events = [e for e in sim.state.in_mailbox(schedule, start, end) if e.show_as != "free"]
        view: list[str] = []
        cursor = start
        while cursor < end:
            nxt = cursor + timedelta(minutes=interval)
            hits = [codes.get(e.show_as, "2") for e in events if e.start < nxt and e.end > cursor]
            view.append(max(hits) if hits else "0")
            cursor = nxt
        slots = [{"status": e.show_as, "isPrivate": e.body.get("sensitivity") == "private",
                  "start": graph_time(e.start), "end": graph_time(e.end)} for e in events]
        value.append({"scheduleId": schedule, "availabilityView": "".join(view), "scheduleItems": slots})
    return 200, {"value": value}, {}


def utcnow() -> datetime:
    return datetime.now(UTC)
