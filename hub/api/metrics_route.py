"""`/metrics` (Prometheus text format, API credentials): the process's metrics plus the store's delivery states."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from hub.api.auth import caller

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> PlainTextResponse:
    await caller(request)
    app_registry: CollectorRegistry = request.app.state.delivery_registry
    body = await run_in_threadpool(lambda: generate_latest() + generate_latest(app_registry))  # reads the store
    return PlainTextResponse(body.decode(), media_type=CONTENT_TYPE_LATEST)
