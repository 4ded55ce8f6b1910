"""Hub-level errors of every peer port, whichever connector is behind it: transient, permanent, not found.

Adapters (connectors) translate their failures into these at their boundary (a connector may raise a subclass);
flows catch only these. `TransientError` is retried with backoff, `PermanentError` parks the delivery.
The register has its own, finer set in `hub.ports.register_errors` (all of them subclasses of the same two).
"""

from __future__ import annotations

from hub.errors import DeliveryError, PermanentError, TransientError


class NotFoundError(PermanentError):
    """The resource the call named does not exist (any more): 404 or 410."""


class ForbiddenError(PermanentError):
    """The peer refuses the hub access to this resource (403)."""


__all__ = ["DeliveryError", "ForbiddenError", "NotFoundError", "PermanentError", "TransientError"]
