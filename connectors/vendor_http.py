"""Plumbing shared by the register vendor connectors (JCC G-Plan REST, Qmatic): errors, retries, metrics.

A vendor's HTTP answer or transport failure becomes one of the register port's hub-level errors
(`hub.ports.register_errors`): 401/403 auth failed, 404 not found, 409 conflict, 429/5xx transient (with
`Retry-After`), other 4xx permanent, no answer at all unreachable, a 2xx body that does not fit the vendor's
documented shape unexpected shape (naming the field). Reasons name the vendor, the call and the status,
never a body or a URL (both may hold personal data).
"""

from __future__ import annotations

import time
from typing import TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from tenacity import Retrying

from connectors.foundation import peer_calls
from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.problems import problem
from connectors.foundation.retry import RetryPolicy, Sleep
from connectors.foundation.retry import retrying as policy_retrying
from hub.backoff import parse_retry_after
from hub.errors import DeliveryError
from hub.logging import outbound_headers, redact_text
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
#: The vendors' retry defaults (`max_retries` from each vendor's settings); a longer Retry-After than 30 s is not
#: waited for in-process, the delivery runtime waits instead.
RETRY = RetryPolicy(max_retries=2, backoff_base_seconds=0.5, backoff_cap_seconds=10.0, max_inline_retry_after=30.0)
MAX_INLINE_RETRY_AFTER = RETRY.max_inline_retry_after
_MAX_TITLE = 120


def problem_title(response: httpx.Response) -> str:
    """A short, redacted title from an error body (`title`, `msg` or `message`), or the reason phrase."""
    body = problem(response)
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
    peer_calls.record(f"register-{vendor}", error)


def headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    """JSON accept, the caller's headers and the correlation id."""
    out = {"Accept": "application/json", **(extra or {})}
    outbound_headers(out)
    return out


class VendorClient(HttpLifecycle):
    """A vendor register client's lifecycle: its base URL, its own traced httpx client (or the caller's, left open)
    and its retry policy; closed with `close()` or `with`."""

    def __init__(self, base_url: str, timeout_seconds: float, max_retries: int, *, http: httpx.Client | None,
                 sleep: Sleep) -> None:
        super().__init__("register", http, timeout=httpx.Timeout(timeout_seconds))
        self._base = base_url.rstrip("/") + "/"
        self._retrying = retrying(max_retries, sleep)


def retrying(max_retries: int, sleep: Sleep = time.sleep,
             max_inline_wait: float = MAX_INLINE_RETRY_AFTER) -> Retrying:
    """Up to `max_retries` in-process retries of a transient error (Retry-After honoured, a long one not waited)."""
    return policy_retrying(RETRY.model_copy(update={"max_retries": max_retries,
                                                    "max_inline_retry_after": max_inline_wait}), sleep)


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
