"""Turn register responses and transport failures into `hub.errors` exceptions.

Messages name the call and the status (plus the problem title and invalid field names); they never
carry response bodies, URLs or problem details, which may contain personal data.
"""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from connectors.foundation.oauth2 import TOKEN_CALL
from connectors.foundation.problems import invalid_fields, problem
from hub.backoff import parse_retry_after
from hub.errors import DeliveryError, PermanentError, unanswered
from hub.logging import redact_text
from hub.ports import register_errors as port

CONNECTOR = "register"
_MAX_TITLE = 120


class NotFoundError(port.NotFoundError):
    """404: the appointment (or resource) does not exist."""


class ConflictError(port.ConflictError):
    """409: the status transition is not allowed."""


class PreconditionFailedError(port.RegisterPermanentError):
    """412: `If-Match` no longer matches; re-read and decide again."""


class UnauthorizedError(port.AuthFailedError):
    """401 on the token endpoint or after a fresh token: credentials or scope are wrong."""


_PERMANENT_BY_STATUS: dict[int, type[PermanentError]] = {
    401: UnauthorizedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
}


def _problem_summary(response: httpx.Response) -> str:
    """`title` (redacted, short) and the names of invalid fields from a problem+json body."""
    body = problem(response)
    title = body.get("title") or body.get("error")
    parts = [redact_text(title)[:_MAX_TITLE] if isinstance(title, str) and title else "", invalid_fields(body)]
    return "; ".join(p for p in parts if p)


def error_for_response(call: str, response: httpx.Response) -> DeliveryError:
    """The exception for a non-2xx answer: 429/5xx transient, other 4xx permanent."""
    status = response.status_code
    summary = _problem_summary(response)
    reason = f"{CONNECTOR} {call} failed: {status} {summary or response.reason_phrase}".rstrip()
    if status == 429 or status >= 500:
        return port.RegisterTransientError(reason, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return _PERMANENT_BY_STATUS.get(status, port.RegisterPermanentError)(reason)


def error_for_exception(call: str, exc: httpx.HTTPError) -> DeliveryError:
    """Timeouts and connection errors are transient; protocol misuse is permanent. A write that was sent but not
    answered may still land: transient and in flight (`hub.errors.unanswered`), its retry waits two timeouts and
    the appointment's next delivery waits for it."""
    kind = type(exc).__name__
    local = isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)
    if not isinstance(exc, httpx.TransportError) or local:
        return port.RegisterPermanentError(f"{CONNECTOR} {call} failed: {kind}")
    reason = f"{CONNECTOR} {call} failed: {kind}"
    if call == TOKEN_CALL:
        return port.UnreachableError(reason)
    return unanswered(reason, exc, error=port.UnreachableError)


def invalid_response(call: str, problem: ValidationError | str, field: str = "body") -> PermanentError:
    """The register answered 2xx with a body that does not fit the contract (field paths only)."""
    if isinstance(problem, ValidationError):
        fields = sorted({".".join(str(p) for p in err["loc"]) or "body" for err in problem.errors()})
        what = "invalid: " + ", ".join(fields[:10])
        field = fields[0] if fields else field
    else:
        what = problem
    return port.UnexpectedShapeError(f"{CONNECTOR} {call} failed: response does not match the contract ({what})",
                                     field)


__all__ = [
    "ConflictError",
    "NotFoundError",
    "PreconditionFailedError",
    "UnauthorizedError",
    "error_for_exception",
    "error_for_response",
    "invalid_response",
]
