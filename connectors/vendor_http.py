"""Plumbing shared by the register vendor connectors (JCC G-Plan REST, Qmatic): errors, retries, metrics.

A vendor's HTTP answer or transport failure becomes one of the register port's hub-level errors
(`hub.ports.register_errors`): 401/403 auth failed, 404 not found, 409 conflict, 429/5xx transient (with
`Retry-After`), other 4xx permanent, no answer at all unreachable, a 2xx body that does not fit the vendor's
documented shape unexpected shape (naming the field). Reasons name the vendor, the call and the status,
never a body or a URL (both may hold personal data).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from hub.backoff import backoff_seconds, parse_retry_after
from hub.errors import DeliveryError, TransientError
from hub.logging import outbound_headers, redact_text
from hub.metrics import PEER_CALLS
from hub.outbound import http_client
from hub.ports.register_errors import (
    AuthFailedError,
    ConflictError,
    NotFoundError,
    RegisterPermanentError,
    RegisterTransientError,
    UnexpectedShapeError,
    UnreachableError,
)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Sleep = Callable[[float], None]
#: A Retry-After longer than this is not waited for in-process; the delivery runtime waits instead.
MAX_INLINE_RETRY_AFTER = 30.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 10.0
_MAX_TITLE = 120


def problem_title(response: httpx.Response) -> str:
    """A short, redacted title from an error body (`title`, `msg` or `message`), or the reason phrase."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("title", "msg", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return redact_text(value.strip())[:_MAX_TITLE]
    return response.reason_phrase


def error_for_response(vendor: str, call: str, response: httpx.Response, title: str | None = None) -> DeliveryError:
    """The port error for a non-2xx answer of `call`."""
    status = response.status_code
    reason = f"register {vendor} {call} failed: {status} {title or problem_title(response)}".rstrip()
    if status in (401, 403):
        return AuthFailedError(reason)
    if status == 404:
        return NotFoundError(reason)
    if status == 409:
        return ConflictError(reason)
    if status == 429 or status >= 500:
        return RegisterTransientError(reason, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return RegisterPermanentError(reason)


def error_for_exception(vendor: str, call: str, exc: httpx.HTTPError, method: str = "GET") -> DeliveryError:
    """No answer: unreachable (transient) for transport failures, permanent for a malformed request.

    A write that was sent but not answered may still land at the vendor: transient with `in_flight`, so the
    appointment's other deliveries wait for the retry (`hub.errors.TransientError`).
    """
    kind = type(exc).__name__
    local = isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError | httpx.InvalidURL)
    if not isinstance(exc, httpx.TransportError) or local:
        return RegisterPermanentError(f"register {vendor} {call} failed: {kind}")
    reason = f"register {vendor} {call} failed: unreachable ({kind})"
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    if sent and method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
        return RegisterTransientError(reason, in_flight=True)
    return UnreachableError(reason)


def field_of(problem: ValidationError) -> str:
    """The first broken field's path, e.g. `activityList[0].amount`."""
    for err in problem.errors():
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        return path or "body"
    return "body"


def unexpected_shape(vendor: str, call: str, problem: ValidationError | str,
                     field: str = "body") -> UnexpectedShapeError:
    """A 2xx answer that does not fit the vendor's documented shape; the reason names the field, never a value."""
    if isinstance(problem, ValidationError):
        field = field_of(problem)
        what = f"field {field}: {problem.errors()[0]['type']}"
    else:
        what = problem
    return UnexpectedShapeError(f"register {vendor} {call} failed: unexpected answer ({what})", field=field)


def parse(vendor: str, call: str, response: httpx.Response, model: type[M]) -> M:
    """The 2xx body as `model`, or UnexpectedShapeError naming the field."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise unexpected_shape(vendor, call, exc) from None


def parse_as(vendor: str, call: str, response: httpx.Response, adapter: TypeAdapter[T]) -> T:
    """The 2xx body validated by `adapter` (e.g. a list of models), or UnexpectedShapeError naming the field."""
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        raise unexpected_shape(vendor, call, exc) from None


def record(vendor: str, error: DeliveryError | None) -> None:
    """Count one request in PEER_CALLS (connector `register-<vendor>`) by outcome."""
    outcome = "ok" if error is None else "transient" if isinstance(error, TransientError) else "permanent"
    PEER_CALLS.labels(connector=f"register-{vendor}", outcome=outcome).inc()


def headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    """JSON accept, the caller's headers and the correlation id."""
    out = {"Accept": "application/json", **(extra or {})}
    outbound_headers(out)
    return out


class VendorClient:
    """A vendor register client's lifecycle: its base URL, its own traced httpx client (or the caller's, left open)
    and its retry policy; closed with `close()` or `with`."""

    def __init__(self, base_url: str, timeout_seconds: float, max_retries: int, *, http: httpx.Client | None,
                 sleep: Sleep) -> None:
        self._base = base_url.rstrip("/") + "/"
        self._http = http or http_client("register", timeout=httpx.Timeout(timeout_seconds))
        self._owns_http = http is None
        self._retrying = retrying(max_retries, sleep)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, TransientError) and exc.retry_after is not None:
        return exc.retry_after
    return backoff_seconds(state.attempt_number, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS)


def retrying(max_retries: int, sleep: Sleep = time.sleep,
             max_inline_wait: float = MAX_INLINE_RETRY_AFTER) -> Retrying:
    """Up to `max_retries` in-process retries of a transient error (Retry-After honoured, a long one not waited)."""

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > max_retries:
            return True
        exc = state.outcome.exception() if state.outcome is not None else None
        return isinstance(exc, TransientError) and exc.retry_after is not None and exc.retry_after > max_inline_wait

    return Retrying(sleep=sleep, stop=stop, wait=_wait, retry=retry_if_exception_type(TransientError), reraise=True)


__all__ = [
    "MAX_INLINE_RETRY_AFTER",
    "Sleep",
    "VendorClient",
    "error_for_exception",
    "error_for_response",
    "field_of",
    "headers",
    "parse",
    "parse_as",
    "problem_title",
    "record",
    "retrying",
    "unexpected_shape",
]
