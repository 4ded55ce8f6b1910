"""The hub's HTTP API (FastAPI), mounted at /api/v1, plus /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import loops, metrics, operations
from hub.api import problems, store_errors, waste_depot
from hub.api.auth import caller
from hub.api.collectors import delivery_state_collector
from hub.api.fast_routes import FastRoutes
from hub.api.intake_routes import install_intake
from hub.api.openapi_doc import custom_openapi
from hub.api.problems import Problem
from hub.api.strict_query import refuse_unknown_query
from hub.bootstrap import Hub
from hub.console.app import mount_console

API_VERSION = "1.0.0"
OPENAPI_PATH = "/api/v1/openapi.json"
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

        extra = [(b"api-version", API_VERSION.encode())]
        if scope.get("path") == OPENAPI_PATH:  # ADR /core/publish-openapi: any site may read the document
            extra.append((b"access-control-allow-origin", b"*"))

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *extra]
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
        dependencies=[Depends(refuse_unknown_query)],  # `?stauts=dead` is a 400, not the whole list
    )
    api.state.hub = hub
    problems.install(api)
    store_errors.install(api)  # a store that cannot answer in time: 503 + Retry-After

    intake_posts = install_intake(api, hub)
    api.openapi = custom_openapi(api)  # type: ignore[method-assign]

    @api.get("/health/live", tags=["health"], summary="Liveness (no auth)")
    async def live() -> dict[str, str]:
        return {"status": "up"}

    @api.get("/health/ready", tags=["health"], summary="Readiness: store and broker reachable",
             responses={503: {"description": "store or broker down (same body, status down)"}})
    def ready(_: Caller) -> JSONResponse:  # sync: FastAPI runs it on a worker thread, off the event loop
        checks: dict[str, str] = {}
        try:
            with hub.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["store"] = "up"
        except Exception as exc:
            checks["store"] = f"down: {type(exc).__name__}"
        checks["broker"] = hub.runtime.broker_health()
        stale = loops.LOOPS.stale()  # a background loop without a completed pass in several intervals
        checks["loops"] = f"down: no pass lately: {', '.join(stale)}" if stale else "up"
        ok = all(v == "up" for v in checks.values())
        headers = {} if ok else {"Retry-After": str(hub.settings.store.retry_after_seconds)}
        return JSONResponse({"status": "up" if ok else "down", "checks": checks}, status_code=200 if ok else 503,
                            headers=headers)

    api.include_router(waste_depot.router)  # the waste-depot gate (hub/api/waste_depot.py)

    @api.get("/deliveries", tags=["operations"], summary="List deliveries")
    def deliveries(_: Caller, status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
                   flow: Annotated[str | None, Query(max_length=100, pattern=TEXT_PATTERN)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0) -> dict[str, Any]:
        rows = operations.list_deliveries(hub, status_=status, flow=flow, limit=limit, offset=offset)
        return {"items": [r.model_dump(mode="json") for r in rows], "limit": limit, "offset": offset}

    @api.post("/deliveries/{deliveryId}/replay", status_code=202, tags=["operations"],
              responses=problems.documented(409),
              summary="Replay a failed, dead or skipped delivery")
    def replay(deliveryId: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], who: Caller) -> dict[str, Any]:
        current = operations.get_delivery(hub, deliveryId)
        if current is None:
            raise Problem(404, f"no delivery {deliveryId}")
        if not operations.replay(hub, [deliveryId], who):
            raise Problem(409, f"delivery {deliveryId} is {current.status}; only failed, dead or skipped replay")
        view = operations.get_delivery(hub, deliveryId)
        assert view is not None
        return view.model_dump(mode="json")

    @api.get("/appointments/{appointmentId}/trace", tags=["operations"], summary="Trace one appointment")
    def trace(appointmentId: Annotated[str, Path(max_length=500, pattern=TEXT_PATTERN)],
              _: Caller) -> dict[str, Any]:
        return operations.trace(hub, appointmentId)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_runtime:  # embedded default: worker threads and the sweeper live in this process
            hub.runtime.start_worker(settings.worker_threads)
            hub.runtime.start_sweeper()
            hub.runtime.sweep()
        from hub.alerts.engine import start_alerts

        alerts = start_alerts(hub)  # every process checks; the store's claims make one of them send
        yield
        alerts.set()
        from flows.waste_depot.scan_log import flush_scans

        flush_scans(hub)  # the gate's queued scans are stored before the server goes
        if start_runtime:
            hub.runtime.stop()

    root = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False, lifespan=lifespan)
    root.state.hub = hub
    problems.install(root)
    store_errors.install(root)
    app_registry = delivery_state_collector(hub)

    @root.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> PlainTextResponse:
        await caller(request)
        body = await run_in_threadpool(lambda: generate_latest() + generate_latest(app_registry))  # reads the store
        return PlainTextResponse(body.decode(), media_type=CONTENT_TYPE_LATEST)

    root.mount("/api/v1", api)
    mount_console(root, hub)  # operations console at /console (HTML, its own login)
    root.add_middleware(waste_depot.GateFastPath, hub=hub)  # gate scans skip the routers (hub/api/waste_depot.py)
    # TIP's webhooks skip them too: the same handlers, without the mounted API's routing (hub/api/fast_routes.py)
    root.add_middleware(FastRoutes, posts={f"/api/v1{path}": handler for path, handler in intake_posts.items()})
    root.add_middleware(ApiVersionHeader, max_body=settings.max_body_bytes)

    return root
