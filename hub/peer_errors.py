"""How an HTTP peer's failure becomes a delivery outcome, for connectors that need nothing special.

429 and 5xx are transient (Retry-After honoured), other 4xx permanent; timeouts and connection errors
transient, protocol misuse permanent. Reasons carry the call, the status and a problem title, never a body.
"""

from __future__ import annotations

import httpx

from hub.backoff import parse_retry_after
from hub.errors import DeliveryError, PermanentError, TransientError


def http_error(what: str, response: httpx.Response) -> DeliveryError:
    """`what` names the call, e.g. `rostarcas roster export`."""
    title = ""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("title"), str):
            title = body["title"][:120]
    except ValueError:
        pass
    reason = f"{what} failed: {response.status_code} {title or response.reason_phrase}".rstrip()
    if response.status_code == 429 or response.status_code >= 500:
        return TransientError(reason, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return PermanentError(reason)


def http_exception(what: str, exc: httpx.HTTPError) -> DeliveryError:
    kind = type(exc).__name__
    if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
        return TransientError(f"{what} failed: {kind}")
    return PermanentError(f"{what} failed: {kind}")
