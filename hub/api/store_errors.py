"""A store that cannot answer in time (locked, restarting, pool exhausted) is a 503 with Retry-After, not a 500."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from hub import metrics
from hub.api.problems import problem_response
from hub.store.db import StoreUnavailable

log = structlog.get_logger("afsprakenhub.api")

#: What a store that is locked past the lock timeout, cancelled past the statement timeout, restarting or
#: out of pooled connections raises. Integrity and programming errors are not here: those are the hub's own bugs.
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError,
                                                  sa_exc.TimeoutError, StoreUnavailable)


def is_store_unavailable(exc: BaseException) -> bool:
    """A store outage or time-out, or any statement on a connection the pool found dropped (a restart)."""
    return isinstance(exc, STORE_UNAVAILABLE) or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)


def store_unavailable_response(request: Request, exc: Exception) -> JSONResponse:
    """The problem answer; the log names the error class only (its message may carry a statement)."""
    cause = getattr(exc, "orig", None) or exc
    log.warning("store_unavailable", path=request.url.path, error=type(cause).__name__)
    metrics.EVENTS_REJECTED.labels(reason="503").inc()
    retry_after = request.app.state.hub.settings.store.retry_after_seconds
    return problem_response(503, "the store did not answer in time; send the request again later (an event sent "
                            "again is recognised as a duplicate)", instance=request.url.path,
                            code="store-unavailable", headers={"Retry-After": str(retry_after)})


async def _handler(request: Request, exc: Exception) -> JSONResponse:
    if not is_store_unavailable(exc):  # another DBAPIError: the hub's own bug, a 500 as before
        raise exc
    return store_unavailable_response(request, exc)


def install(app: FastAPI) -> None:
    """Answer store time-outs and outages of `app` with 503 + Retry-After (app.state.hub gives the seconds)."""
    for kind in (*STORE_UNAVAILABLE, sa_exc.DBAPIError):
        app.add_exception_handler(kind, _handler)


__all__ = ["STORE_UNAVAILABLE", "install", "is_store_unavailable", "store_unavailable_response"]
