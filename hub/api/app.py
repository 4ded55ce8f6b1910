"""The hub's HTTP API (FastAPI), mounted at /api/v1, plus /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics
from hub.api import health_routes, metrics_route, operations_routes, problems, store_errors, waste_depot
from hub.api.collectors import delivery_state_collector
from hub.api.fast_routes import FastRoutes
from hub.api.intake_routes import install_intake
from hub.api.openapi_doc import custom_openapi
from hub.api.strict_query import refuse_unknown_query
from hub.bootstrap import Hub
from hub.console.app import mount_console
from hub.gc_pauses import freeze_long_lived

API_VERSION = "1.0.0"
OPENAPI_PATH = "/api/v1/openapi.json"


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


@asynccontextmanager
async def lifespan(root: FastAPI) -> AsyncIterator[None]:
    """Start the background work of the process (`app.state.start_runtime`: worker threads and sweeper too)."""
    hub: Hub = root.state.hub
    start_runtime: bool = root.state.start_runtime
    if start_runtime:  # embedded default: worker threads and the sweeper live in this process
        hub.runtime.start_worker(hub.settings.worker_threads)
        hub.runtime.start_sweeper()
        hub.runtime.sweep()
    from hub.alerts.engine import start_alerts

    alerts = start_alerts(hub)  # every process checks; the store's claims make one of them send
    freeze_long_lived()  # what start-up built is never walked by a full collection again (hub/gc_pauses.py)
    yield
    alerts.set()
    from flows.waste_depot.scan_log import flush_scans

    flush_scans(hub)  # the gate's queued scans are stored before the server goes
    if start_runtime:
        hub.runtime.stop()


class _Root(FastAPI):
    """The root app. Gate scans are answered before its middleware stack (`waste_depot.GateFastPath`)."""

    def build_middleware_stack(self) -> ASGIApp:
        return waste_depot.GateFastPath(super().build_middleware_stack(), hub=self.state.hub, api_version=API_VERSION)


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
    api.include_router(health_routes.router)  # /health/live, /health/ready
    api.include_router(waste_depot.router)  # the waste-depot gate (hub/api/waste_depot.py)
    api.include_router(operations_routes.router)  # /deliveries, replay, /appointments/{id}/trace

    root = _Root(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False, lifespan=lifespan)
    root.state.hub = hub
    root.state.start_runtime = start_runtime
    root.state.delivery_registry = delivery_state_collector(hub)
    problems.install(root)
    store_errors.install(root)
    root.include_router(metrics_route.router)  # /metrics

    root.mount("/api/v1", api)
    mount_console(root, hub)  # operations console at /console (HTML, its own login)
    # Gate scans skip this whole stack (_Root). TIP's webhooks skip the mounted API's routing: the same handlers
    # (hub/api/fast_routes.py)
    root.add_middleware(FastRoutes, posts={f"/api/v1{path}": handler for path, handler in intake_posts.items()})
    root.add_middleware(ApiVersionHeader, max_body=settings.max_body_bytes)

    return root
