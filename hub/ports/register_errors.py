"""Hub-level errors of the appointment register port, whichever vendor is behind it.

Every one is a `hub.errors.TransientError` (retried with backoff) or `PermanentError` (parked for a human),
so the delivery runtime treats a vendor's failure as it treats the canonical register's. Adapters raise
these (or subclasses); flows catch only these. Messages name the call and the status, never a body.
"""

from __future__ import annotations

from hub.errors import PermanentError, TransientError
from hub.ports.capabilities import Capability


class RegisterPermanentError(PermanentError):
    """The register refused, and asking again will not help."""


class RegisterTransientError(TransientError):
    """The register could not answer now (429, 5xx, timeout); try again later."""


class NotFoundError(RegisterPermanentError):
    """The appointment (or resource) does not exist."""


class ConflictError(RegisterPermanentError):
    """The change is not allowed from the appointment's current state."""


class UnsupportedError(RegisterPermanentError):
    """The configured register cannot do this at all; `capability` names what it lacks (`missing`: all of it)."""

    def __init__(self, vendor: str, capability: Capability, *more: Capability) -> None:
        super().__init__(unsupported_reason(vendor, capability, *more))
        self.vendor = vendor
        self.capability = capability
        self.missing = (capability, *more)


class AuthFailedError(RegisterPermanentError):
    """The register refused the credentials (bad client id/secret, API key or scope)."""


class UnreachableError(RegisterTransientError):
    """No answer at all: connection refused, DNS, TLS or a timeout."""


class UnexpectedShapeError(RegisterPermanentError):
    """A 2xx answer that does not fit the vendor's documented shape; `field` names where it broke."""

    def __init__(self, reason: str, field: str = "body") -> None:
        super().__init__(reason)
        self.field = field


def unsupported_reason(vendor: str, capability: Capability | str, *more: Capability | str) -> str:
    """The one wording used everywhere: log, status, contract-test, console and a skipped delivery."""
    return f"not supported by register {vendor}: {', '.join(str(c) for c in (capability, *more))}"


__all__ = [
    "AuthFailedError",
    "ConflictError",
    "NotFoundError",
    "RegisterPermanentError",
    "RegisterTransientError",
    "UnexpectedShapeError",
    "UnreachableError",
    "UnsupportedError",
    "unsupported_reason",
]
