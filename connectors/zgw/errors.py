"""Turn ZGW answers and transport failures into `hub.errors` exceptions (no bodies, no personal data)."""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from connectors.foundation.problems import problem
from hub.backoff import parse_retry_after
from hub.errors import DeliveryError, PermanentError, TransientError, unanswered
from hub.logging import redact_text
from hub.ports import errors
from hub.ports.zaken import REFUSED, REFUSED_CATALOGI, RefusedUrlError

_MAX_TITLE = 120


class ForbiddenError(errors.ForbiddenError):
    """403: the hub's client id may not read this resource (Autorisaties API)."""


class NotFoundError(errors.NotFoundError):
    """404 (or 410): the resource does not exist (any more)."""


_PERMANENT_BY_STATUS: dict[int, type[PermanentError]] = {403: ForbiddenError, 404: NotFoundError, 410: NotFoundError}


def _title(response: httpx.Response) -> str:
    title = problem(response).get("title")
    return redact_text(title)[:_MAX_TITLE] if isinstance(title, str) else ""


def error_for_response(connector: str, call: str, response: httpx.Response) -> DeliveryError:
    """429 and 5xx are transient; every other non-2xx is permanent, named by status and problem title."""
    status = response.status_code
    reason = f"{connector} {call} failed: {status} {_title(response) or response.reason_phrase}".rstrip()
    if status == 429 or status >= 500:
        return TransientError(reason, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return _PERMANENT_BY_STATUS.get(status, PermanentError)(reason)


def error_for_exception(connector: str, call: str, exc: httpx.HTTPError) -> DeliveryError:
    """Timeouts and connection errors are transient; protocol misuse is permanent. A write that was sent but not
    answered may still land (`hub.errors.unanswered`): its retry waits two timeouts, the case's next delivery
    waits for it."""
    reason = f"{connector} {call} failed: {type(exc).__name__}"
    local = isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)
    if not isinstance(exc, httpx.TransportError) or local:
        return PermanentError(reason)
    return unanswered(reason, exc)


def invalid_response(connector: str, call: str, problem: ValidationError | str) -> PermanentError:
    """A 2xx body that does not fit the contract (field paths only)."""
    if isinstance(problem, ValidationError):
        fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in problem.errors()})
        problem = "invalid: " + ", ".join(fields[:10])
    return PermanentError(f"{connector} {call} failed: response does not match the contract ({problem})")


__all__ = ["REFUSED", "REFUSED_CATALOGI", "ForbiddenError", "NotFoundError", "RefusedUrlError",
           "error_for_exception", "error_for_response", "invalid_response"]
