"""The two kinds of failure a flow can report: retry later, or park for a human."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base for failures raised by flows and connectors. Messages must not contain personal data."""


class TransientError(DeliveryError):
    """Try again later (timeouts, connection errors, 429, 5xx); `retry_after` in seconds if the peer said.

    `in_flight`: a write was sent but not answered and may still land at the peer, so until the retry no other
    delivery of the same appointment may write (it would be overwritten, or find nothing and write twice).
    """

    def __init__(self, reason: str, retry_after: float | None = None, *, in_flight: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.in_flight = in_flight


def unanswered(reason: str, exc: BaseException, method: str | None = None, *,
               error: type[TransientError] = TransientError) -> TransientError:
    """A transport failure of one request (`method`, else the request's own), as `error`. A write that was sent
    (not a failed connect) may still land: the peer had one read timeout to answer and gets another to finish, so
    the retry waits two, and the appointment's other deliveries wait for it (`TransientError.in_flight`)."""
    import httpx

    request = None
    try:
        request = exc.request if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:  # no request attached
        pass
    method = method or (request.method if request is not None else "")
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)
    if not (sent and method.upper() in ("POST", "PATCH", "PUT", "DELETE")):
        return error(reason)
    timeout = (request.extensions.get("timeout") or {}).get("read") if request is not None else None
    return error(reason, retry_after=2 * timeout if timeout else None, in_flight=True)


class PermanentError(DeliveryError):
    """Retrying will not help (validation, other 4xx): dead-letter with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
