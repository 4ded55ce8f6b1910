"""Reading a peer's error answer the same way everywhere: its JSON object, invalid field names, transient or not.

Reasons built from these carry field names and codes only, never values (they may hold personal data).
"""

from __future__ import annotations

from typing import Any

import httpx

from hub.backoff import parse_retry_after
from hub.errors import DeliveryError, PermanentError, TransientError
from hub.logging import redact_text


def problem(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object (a problem+json body, an OAuth error), or {} when it is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def invalid_fields(body: dict[str, Any]) -> str:
    """`invalid: a, b` from a problem's `invalidParams` names (at most ten, redacted), or ""."""
    invalid = body.get("invalidParams")
    if not isinstance(invalid, list):
        return ""
    names = [p["name"] for p in invalid if isinstance(p, dict) and isinstance(p.get("name"), str)]
    return "invalid: " + ", ".join(redact_text(n)[:60] for n in names[:10]) if names else ""


def by_status(reason: str, response: httpx.Response,
              permanent: type[PermanentError] = PermanentError) -> DeliveryError:
    """429 and 5xx transient (with the answer's Retry-After), anything else `permanent`."""
    if response.status_code == 429 or response.status_code >= 500:
        return TransientError(reason, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return permanent(reason)


__all__ = ["by_status", "invalid_fields", "problem"]
