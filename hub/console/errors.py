"""The console's error pages: login redirect, 400/403/404 pages and the store-unavailable 503."""

from __future__ import annotations

from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.api.store_errors import STORE_UNAVAILABLE
from hub.console.auth import CsrfFailed, LoginRequired
from hub.console.rendering import console_of, page

log = structlog.get_logger("afsprakenhub.console")


async def to_login(request: Request, _: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    return page(request, "error.html.j2", status_code=status, message_key="none_found")


async def bad_request(request: Request, _: Exception) -> Response:
    return page(request, "error.html.j2", status_code=400, message_key="bad_request")


async def csrf_failed(request: Request, _: Exception) -> Response:
    return page(request, "error.html.j2", status_code=403, message_key="csrf")


async def store_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("store_unavailable", path=request.url.path, error=type(getattr(exc, "orig", None) or exc).__name__)
    response = page(request, "error.html.j2", status_code=503, message_key="store_unavailable")
    response.headers["Retry-After"] = str(console_of(request).hub.settings.store.retry_after_seconds)
    return response


def install(app: FastAPI) -> None:
    """Answer the console's errors with its own pages."""
    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, store_unavailable)
