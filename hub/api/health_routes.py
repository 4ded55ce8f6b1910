"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hub import loops
from hub.api.deps import ApiHub, Caller

router = APIRouter(tags=["health"])


@router.get("/health/live", summary="Liveness (no auth)")
async def live() -> dict[str, str]:
    return {"status": "up"}


@router.get("/health/ready", summary="Readiness: store and broker reachable",
            responses={503: {"description": "store or broker down (same body, status down)"}})
def ready(_: Caller, hub: ApiHub) -> JSONResponse:  # sync: FastAPI runs it on a worker thread, off the event loop
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
