"""Graph answers and transport failures as `hub.errors` exceptions, without personal data.

Reasons name the call, the status and Graph's error `code`; never the message, URL or body (they carry
mailbox addresses and event subjects).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from connectors.foundation.oauth2 import TOKEN_CALL
from connectors.foundation.problems import problem
from hub.backoff import parse_retry_after
from hub.errors import DeliveryError, PermanentError, TransientError, unanswered
from hub.ports import errors

CONNECTOR = "outlook"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,80}$")


class NotFoundError(errors.NotFoundError):
    """404: the mailbox or event does not exist (any more)."""


def error_code(body: Any) -> str | None:
    """Graph's `error.code` (or OAuth's `error`), if it looks like a code and not free text."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else error
    return code if isinstance(code, str) and _CODE.match(code) else None


def error_for_status(call: str, status: int, body: Any, retry_after: str | None) -> DeliveryError:
    """429 and 5xx transient (with Retry-After), 404 NotFoundError, other 4xx permanent."""
    code = error_code(body)
    reason = f"{CONNECTOR} {call} failed: {status}{' ' + code if code else ''}"
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientError(reason, retry_after=parse_retry_after(retry_after))
    if status == 404:
        return NotFoundError(reason)
    return PermanentError(reason)


def error_for_response(call: str, response: httpx.Response) -> DeliveryError:
    return error_for_status(call, response.status_code, problem(response), response.headers.get("Retry-After"))


def error_for_exception(call: str, exc: httpx.HTTPError) -> DeliveryError:
    """Timeouts and connection errors are transient; protocol misuse is permanent. A write that was sent but not
    answered (a create, update, delete or `$batch`) may still land: `hub.errors.unanswered` makes its retry wait
    two timeouts and the appointment's next delivery wait for it. Otherwise a create held past the client's timeout
    could land after the appointment's next change had deleted the event (Graph dedupes a transactionId only while
    the event exists), and stay."""
    kind = type(exc).__name__
    local = isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)
    if isinstance(exc, httpx.TransportError) and not local:
        reason = f"{CONNECTOR} {call} failed: {kind}"
        return TransientError(reason) if call == TOKEN_CALL else unanswered(reason, exc)
    return PermanentError(f"{CONNECTOR} {call} failed: {kind}")


def invalid_response(call: str, what: str) -> PermanentError:
    return PermanentError(f"{CONNECTOR} {call} failed: response does not match Graph's shape ({what})")


__all__ = [
    "CONNECTOR",
    "NotFoundError",
    "error_code",
    "error_for_exception",
    "error_for_response",
    "error_for_status",
    "invalid_response",
]
