"""Turn Salesforce failures into `hub.errors` exceptions; reasons carry the error code, never values.

Transient: REQUEST_LIMIT_EXCEEDED, UNABLE_TO_LOCK_ROW, SERVER_UNAVAILABLE, 429/5xx, timeouts.
Everything else (INVALID_FIELD, REQUIRED_FIELD_MISSING, DUPLICATE_VALUE, …) is permanent.
Salesforce messages may echo field values (personal data), so only codes and field names are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from connectors.salesforce.models import HALTED, ApiError
from hub.errors import DeliveryError, PermanentError, TransientError
from hub.logging import redact_text

CONNECTOR = "salesforce"
TRANSIENT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE",
                             "API_CURRENTLY_DISABLED", "QUERY_TIMEOUT"})


def _describe(errors: Sequence[ApiError]) -> str:
    parts = []
    for e in errors[:3]:
        fields = f" ({', '.join(redact_text(f)[:80] for f in e.fields[:5])})" if e.fields else ""
        parts.append(f"{e.error_code}{fields}")
    return "; ".join(parts)


def error_for_api_errors(call: str, status: int, errors: Sequence[ApiError],
                         limit_retry_after: float | None = None,
                         retry_after: float | None = None) -> DeliveryError:
    """The exception for an error body (top level or one subrequest) with its HTTP status."""
    causes = [e for e in errors if e.error_code != HALTED] or list(errors)
    codes = {e.error_code for e in causes}
    summary = _describe(causes) or "no error body"
    reason = f"{CONNECTOR} {call} failed: {status} {summary}"
    if "REQUEST_LIMIT_EXCEEDED" in codes:
        return TransientError(reason, retry_after=retry_after or limit_retry_after)
    if codes & TRANSIENT_CODES or status == 429 or status >= 500:
        return TransientError(reason, retry_after=retry_after)
    return PermanentError(reason)


def parse_error_body(body: object) -> list[ApiError]:
    """`[{"errorCode", "message", "fields"}]` (or one such object, or an OAuth error) as ApiErrors."""
    items = body if isinstance(body, list) else [body]
    out: list[ApiError] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("errorCode"), str):
            out.append(ApiError.model_validate(item))
        elif isinstance(item, dict) and isinstance(item.get("error"), str):
            out.append(ApiError(error_code=item["error"].upper()))
    return out


def error_for_transport(call: str, exc: httpx.HTTPError, timeout: float | None = None) -> TransientError:
    """Timeouts and connection failures: try again later. A write that was sent but not answered may still
    land: the retry waits two `timeout`s and the appointment's other deliveries wait for it (`in_flight`).
    A write that never connected, a read and a login (`call` "login") are ordinary retries."""
    reason = f"{CONNECTOR} {call} failed: {type(exc).__name__}"
    try:
        method = exc.request.method.upper()
    except RuntimeError:  # an error raised without its request
        method = ""
    never_sent = isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError)
    if call != "login" and method in ("POST", "PATCH", "PUT", "DELETE") and not never_sent:
        return TransientError(reason, retry_after=2 * timeout if timeout else None, in_flight=True)
    return TransientError(reason)


def invalid_answer(call: str, what: str) -> PermanentError:
    return PermanentError(f"{CONNECTOR} {call} failed: answer does not match the documented shape ({what})")


__all__ = ["CONNECTOR", "HALTED", "TRANSIENT_CODES", "error_for_api_errors", "error_for_transport",
           "invalid_answer", "parse_error_body"]
