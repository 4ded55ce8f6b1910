"""The hub's HTTP API (FastAPI), mounted at /api/v1, plus /metrics."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics, operations
from hub.api import problems, waste_depot
from hub.api.auth import authenticate_notification, caller
from hub.api.collectors import delivery_state_collector
from hub.api.problems import Problem
from hub.bootstrap import Hub
from hub.console.app import mount_console
from hub.intake import Accepted
from hub.model import AppointmentEvent, CloudEvent, parse_event
from hub.notificaties import Notificatie

API_VERSION = "1.0.0"
CE_JSON = "application/cloudevents+json"
CE_BATCH = "application/cloudevents-batch+json"
MAX_BATCH = 1000
STATUS_PATTERN = "^(pending|succeeded|failed|dead|skipped)$"
TEXT_PATTERN = r"^[^\x00]*$"  # PostgreSQL text refuses NUL characters
MAX_ROW_ID = 2**31 - 1  # the store's integer columns (PostgreSQL int4)
Caller = Annotated[str, Depends(caller)]


class ApiVersionHeader:
    """Adds `API-Version` to every response (NL API Design Rules) and refuses oversized bodies early."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"api-version", API_VERSION.encode())]
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            response = problems.problem_response(413, f"body larger than {self.max_body} bytes",
                                                 instance=scope.get("path"))
            metrics.EVENTS_REJECTED.labels(reason="413").inc()
            await response(scope, receive, send_with_version)
            return
        received = 0

        async def receive_within_limit() -> Message:
            """Bodies without a Content-Length (chunked) are counted as they arrive, for every route."""
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise StarletteHTTPException(413, f"body larger than {self.max_body} bytes")
            return message

        await self.app(scope, receive_within_limit, send_with_version)


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON, at most `limit` bytes, or a 413/400 problem."""
    size = 0
    chunks: list[bytes] = []
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem(400, "the client went away before the body was complete; nothing was stored",
                      code="incomplete-body") from None
    try:
        return json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem(400, f"body is not valid JSON: {exc.__class__.__name__}", code="malformed-json") from None


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _validate_events(raw: Any, batch: bool) -> list[CloudEvent]:
    items = raw if batch else [raw]
    if batch and not isinstance(raw, list):
        raise Problem(422, "a batch is a JSON array of CloudEvents", code="invalid-event")
    if batch and not 0 < len(items) <= MAX_BATCH:
        raise Problem(422, f"a batch holds 1 to {MAX_BATCH} events", code="invalid-event")
    events: list[CloudEvent] = []
    bad: list[dict[str, str]] = []
    for index, item in enumerate(items):
        prefix = f"[{index}]." if batch else ""
        if not isinstance(item, dict):
            bad.append({"name": prefix.rstrip(".") or "body", "code": "type", "reason": "expected a JSON object"})
            continue
        try:
            events.append(parse_event(item))
        except ValidationError as exc:
            bad.extend(problems.invalid_params(exc, prefix))
    if bad:
        raise Problem(422, "invalid event: nothing was stored", code="invalid-event", invalid_params=bad)
    return events


def _store_and_enqueue(hub: Hub, events: list[CloudEvent], who: str) -> list[Accepted]:
    """Commit the events, then queue their deliveries (a lost message is re-sent by the sweeper)."""
    accepted = hub.intake.accept(events, who)
    hub.runtime.enqueue_many([d for a in accepted for d in a.delivery_ids])
    return accepted


def create_app(hub: Hub, *, start_runtime: bool = False) -> FastAPI:
    """The ASGI app. `start_runtime` runs in-process worker threads and the sweeper (embedded default)."""
    settings = hub.settings
    api = FastAPI(
        title="afsprakenhub",
        version=API_VERSION,
        description="Integration hub around the municipality's appointment register: webhooks for TIP, "
        "ZGW notifications and operations.",
        contact={"name": "afsprakenhub team", "email": "afsprakenhub@example.nl", "url": "https://example.nl"},
        servers=[{"url": "/api/v1"}, {"url": f"{settings.public_url.rstrip('/')}/api/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        redirect_slashes=False,
        root_path_in_servers=False,
        responses=problems.documented(400, 401, 404, 500, 503),
    )
    api.state.hub = hub
    problems.install(api)

    event_schema = CloudEvent.model_json_schema()
    appointment_schema = AppointmentEvent.model_json_schema(by_alias=True)

    @api.post(
        "/events", status_code=202, tags=["intake"], summary="Receive CloudEvents from TIP",
        openapi_extra={"requestBody": {"required": True, "content": {
            CE_JSON: {"schema": {"anyOf": [appointment_schema, event_schema]}},
            "application/json": {"schema": {"anyOf": [appointment_schema, event_schema]}},
            CE_BATCH: {"schema": {"type": "array", "items": event_schema, "minItems": 1, "maxItems": MAX_BATCH}},
        }}},
        responses={202: {"description": "stored (or already stored: duplicate=true)"},
                   400: {"description": "malformed JSON"}, 401: {"description": "missing or wrong token"},
                   413: {"description": "body too large"}, 415: {"description": "wrong content type"},
                   422: {"description": "invalid event"}},
    )
    async def receive_events(request: Request, who: Caller) -> JSONResponse:
        kind = media_type(request)
        if kind not in (CE_JSON, CE_BATCH, "application/json"):
            raise Problem(415, f"content type must be {CE_JSON}, {CE_BATCH} or application/json")
        raw = await read_json(request, settings.max_body_bytes)
        batch = kind == CE_BATCH or (kind == "application/json" and isinstance(raw, list))
        events = _validate_events(raw, batch)
        # Store (and enqueue) on a worker thread: the commit waits on disk or the network, not the event loop.
        accepted = await run_in_threadpool(_store_and_enqueue, hub, events, who)
        for a in accepted:
            (metrics.EVENTS_DUPLICATE if a.duplicate else metrics.EVENTS_RECEIVED).labels(endpoint="events").inc()
        items = [{"id": a.event_id, "duplicate": a.duplicate} for a in accepted]
        if not batch:
            return JSONResponse(items[0], status_code=202)
        return JSONResponse({"accepted": sum(not a.duplicate for a in accepted),
                             "duplicates": sum(a.duplicate for a in accepted), "items": items}, status_code=202)

    @api.post(
        "/notificaties", status_code=204, tags=["intake"], summary="ZGW Notificaties callback",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": Notificatie.model_json_schema()}}}},
        responses={204: {"description": "received"}, **problems.documented(401, 413, 415, 422)},
    )
    async def receive_notificatie(request: Request) -> Response:
        who = authenticate_notification(settings, request.headers.get("authorization"))
        if media_type(request) not in ("application/json", ""):
            raise Problem(415, "content type must be application/json")
        raw = await read_json(request, settings.max_body_bytes)
        try:
            message = Notificatie.model_validate(raw)
        except ValidationError as exc:
            raise Problem(422, "invalid notification: nothing was stored", code="invalid-notification",
                          invalid_params=problems.invalid_params(exc)) from None
        [accepted] = hub.intake.accept([message.as_cloudevent()], who, dedupe_keys=[message.dedupe_key])
        (metrics.EVENTS_DUPLICATE if accepted.duplicate else metrics.EVENTS_RECEIVED).labels(
            endpoint="notificaties").inc()
        hub.runtime.enqueue_many(accepted.delivery_ids)
        return Response(status_code=204)

    @api.get("/health/live", tags=["health"], summary="Liveness (no auth)")
    async def live() -> dict[str, str]:
        return {"status": "up"}

    @api.get("/health/ready", tags=["health"], summary="Readiness: store and broker reachable",
             responses={503: {"description": "store or broker down (same body, status down)"}})
    async def ready(_: Caller) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            with hub.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["store"] = "up"
        except Exception as exc:
            checks["store"] = f"down: {type(exc).__name__}"
        checks["broker"] = hub.runtime.broker_health()
        ok = all(v == "up" for v in checks.values())
        return JSONResponse({"status": "up" if ok else "down", "checks": checks}, status_code=200 if ok else 503)

    api.include_router(waste_depot.router)  # the waste-depot gate (hub/api/waste_depot.py)

    @api.get("/deliveries", tags=["operations"], summary="List deliveries")
    async def deliveries(_: Caller, status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
                         flow: Annotated[str | None, Query(max_length=100, pattern=TEXT_PATTERN)] = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                         offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0) -> dict[str, Any]:
        rows = operations.list_deliveries(hub, status_=status, flow=flow, limit=limit, offset=offset)
        return {"items": [r.model_dump(mode="json") for r in rows], "limit": limit, "offset": offset}

    @api.post("/deliveries/{deliveryId}/replay", status_code=202, tags=["operations"],
              responses=problems.documented(409),
              summary="Replay a failed, dead or skipped delivery")
    async def replay(deliveryId: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], who: Caller) -> dict[str, Any]:
        current = operations.get_delivery(hub, deliveryId)
        if current is None:
            raise Problem(404, f"no delivery {deliveryId}")
        if not operations.replay(hub, [deliveryId], who):
            raise Problem(409, f"delivery {deliveryId} is {current.status}; only failed, dead or skipped replay")
        view = operations.get_delivery(hub, deliveryId)
        assert view is not None
        return view.model_dump(mode="json")

    @api.get("/appointments/{appointmentId}/trace", tags=["operations"], summary="Trace one appointment")
    async def trace(appointmentId: Annotated[str, Path(max_length=500, pattern=TEXT_PATTERN)],
                    _: Caller) -> dict[str, Any]:
        return operations.trace(hub, appointmentId)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_runtime:  # embedded default: worker threads and the sweeper live in this process
            hub.runtime.start_worker(settings.worker_threads)
            hub.runtime.start_sweeper()
            hub.runtime.sweep()
        yield
        from flows.waste_depot.scan_log import flush_scans

        flush_scans(hub)  # the gate's queued scans are stored before the server goes
        if start_runtime:
            hub.runtime.stop()

    root = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False, lifespan=lifespan)
    root.state.hub = hub
    problems.install(root)
    app_registry = delivery_state_collector(hub)

    @root.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> PlainTextResponse:
        caller(request)
        body = generate_latest() + generate_latest(app_registry)
        return PlainTextResponse(body.decode(), media_type=CONTENT_TYPE_LATEST)

    root.mount("/api/v1", api)
    mount_console(root, hub)  # operations console at /console (HTML, its own login)
    root.add_middleware(ApiVersionHeader, max_body=settings.max_body_bytes)

    return root
