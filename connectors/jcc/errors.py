"""Turn zeep and transport failures into `hub.errors` exceptions naming the operation, never the payload."""

from __future__ import annotations

import requests
from zeep.exceptions import Fault, TransportError, XMLSyntaxError
from zeep.exceptions import ValidationError as ZeepValidationError

from hub.errors import DeliveryError, PermanentError, TransientError

CONNECTOR = "jcc"


def error_for(operation: str, exc: Exception) -> DeliveryError:
    """5xx, timeouts and connection errors are transient; SOAP faults and bad XML are permanent."""
    if isinstance(exc, TransportError):
        status = exc.status_code
        reason = f"{CONNECTOR} {operation} failed: HTTP {status}"
        return TransientError(reason) if status == 429 or status >= 500 else PermanentError(reason)
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return TransientError(f"{CONNECTOR} {operation} failed: {type(exc).__name__}")
    if isinstance(exc, Fault):
        code = (exc.code or "Server").split(":")[-1]
        return PermanentError(f"{CONNECTOR} {operation} failed: SOAP fault ({code})")
    if isinstance(exc, XMLSyntaxError | ZeepValidationError):
        return PermanentError(f"{CONNECTOR} {operation} failed: response does not match the WSDL "
                              f"({type(exc).__name__})")
    return PermanentError(f"{CONNECTOR} {operation} failed: {type(exc).__name__}")


__all__ = ["CONNECTOR", "error_for"]
