"""RFC 9457 problem details (`application/problem+json`) for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub import metrics

PROBLEM_JSON = "application/problem+json"

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
           422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}


#: The JSON schema of a problem document, for the OpenAPI description.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "invalidParams": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "code": {"type": "string"}, "reason": {"type": "string"}}}},
    },
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries: these statuses answer a problem document."""
    return {status: {"description": _TITLES.get(status, "Error"),
                     "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}} for status in statuses}


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, code: str | None = None,
                 invalid_params: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.invalid_params = invalid_params
        self.headers = headers


def problem_response(status: int, detail: str, *, instance: str | None = None, code: str | None = None,
                     invalid_params: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:afsprakenhub:problem:{code or _TITLES.get(status, 'error').lower().replace(' ', '-')}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if invalid_params:
        body["invalidParams"] = invalid_params
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def invalid_params(exc: ValidationError | RequestValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Which field and why; never the rejected value (it may be personal data)."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        name = f"{prefix}{loc}" if loc else prefix.rstrip(".") or "body"
        out.append({"name": name, "code": str(err.get("type", "invalid")), "reason": str(err.get("msg", ""))})
    return out


async def problem_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    metrics.EVENTS_REJECTED.labels(reason=str(exc.status)).inc()
    return problem_response(exc.status, exc.detail, instance=request.url.path, code=exc.code,
                            invalid_params=exc.invalid_params, headers=exc.headers)


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, str(exc.detail), instance=request.url.path,
                            headers=getattr(exc, "headers", None))


async def validation_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    metrics.EVENTS_REJECTED.labels(reason="400").inc()
    return problem_response(400, "the request's parameters are invalid", instance=request.url.path,
                            code="invalid-parameters", invalid_params=invalid_params(exc))


async def unhandled_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(500, "internal error; see the hub's log for this request",
                            instance=request.url.path)


def install(app: FastAPI) -> None:
    """Answer every error of `app` as problem+json."""
    app.add_exception_handler(Problem, problem_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.add_exception_handler(Exception, unhandled_exception_handler)
