"""The two kinds of failure a flow can report: retry later, or park for a human."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base for failures raised by flows and connectors. Messages must not contain personal data."""


class TransientError(DeliveryError):
    """Try again later (timeouts, connection errors, 429, 5xx); `retry_after` in seconds if the peer said."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying will not help (validation, other 4xx): dead-letter with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
