"""Turn zeep and transport failures into `hub.errors` exceptions naming the operation, never the payload."""

from __future__ import annotations

import requests
from zeep.exceptions import Fault, TransportError, XMLSyntaxError
from zeep.exceptions import ValidationError as ZeepValidationError

from connectors.jcc.transport import HttpAnswer
from hub.errors import DeliveryError, PermanentError, TransientError

CONNECTOR = "jcc"
#: A SOAP fault answered with one of these statuses is the service being unavailable, not a refusal.
UNAVAILABLE = frozenset({429, 503})


def error_for(operation: str, exc: Exception, answer: HttpAnswer | None = None) -> DeliveryError:
    """429/5xx, timeouts, connection errors and faults answered 429/503 are transient (with the answer's
    Retry-After); other SOAP faults and bad XML are permanent."""
    retry_after = answer.retry_after if answer is not None else None
    if isinstance(exc, TransportError):
        status = exc.status_code
        reason = f"{CONNECTOR} {operation} failed: HTTP {status}"
        if status == 429 or status >= 500:
            return TransientError(reason, retry_after=retry_after)
        return PermanentError(reason)
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return TransientError(f"{CONNECTOR} {operation} failed: {type(exc).__name__}")
    if isinstance(exc, Fault):
        code = (exc.code or "Server").split(":")[-1]
        if answer is not None and answer.status in UNAVAILABLE:
            return TransientError(f"{CONNECTOR} {operation} failed: SOAP fault ({code}), HTTP {answer.status}",
                                  retry_after=retry_after)
        return PermanentError(f"{CONNECTOR} {operation} failed: SOAP fault ({code})")
    if isinstance(exc, XMLSyntaxError | ZeepValidationError):
        return PermanentError(f"{CONNECTOR} {operation} failed: response does not match the WSDL "
                              f"({type(exc).__name__})")
    return PermanentError(f"{CONNECTOR} {operation} failed: {type(exc).__name__}")


__all__ = ["CONNECTOR", "error_for"]
