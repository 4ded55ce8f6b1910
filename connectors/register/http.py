"""Shared request plumbing: headers, metrics and the retry policy for transient failures.

All register operations are safe to repeat (reads, upserts with an Idempotency-Key, idempotent status
changes and batches keyed by client-chosen ids), so every transient failure is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type

from connectors.register.calls import Call
from connectors.register.errors import CONNECTOR
from hub.backoff import backoff_seconds
from hub.errors import DeliveryError, TransientError
from hub.logging import outbound_headers
from hub.metrics import PEER_CALLS

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
#: A Retry-After longer than this is not waited for in-process; the TransientError goes to the caller.
MAX_INLINE_RETRY_AFTER = 60.0
Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]


def request_headers(call: Call, token: str) -> dict[str, str]:
    """Bearer token, JSON accept, the call's own headers and the correlation id."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, application/problem+json",
               **call.headers}
    outbound_headers(headers)
    return headers


def record(error: DeliveryError | None) -> None:
    """Count one request in PEER_CALLS by outcome (ok, transient, permanent)."""
    outcome = "ok" if error is None else "transient" if isinstance(error, TransientError) else "permanent"
    PEER_CALLS.labels(connector=CONNECTOR, outcome=outcome).inc()


def _transient(state: RetryCallState) -> TransientError | None:
    exc = state.outcome.exception() if state.outcome is not None else None
    return exc if isinstance(exc, TransientError) else None


def _wait(state: RetryCallState) -> float:
    """Exactly Retry-After when the register sent one, else exponential backoff with jitter."""
    exc = _transient(state)
    if exc is not None and exc.retry_after is not None:
        return exc.retry_after
    return backoff_seconds(state.attempt_number, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS)


def _stopper(max_retries: int, max_inline_wait: float) -> Callable[[RetryCallState], bool]:
    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > max_retries:
            return True
        exc = _transient(state)
        return exc is not None and exc.retry_after is not None and exc.retry_after > max_inline_wait
    return stop


def retrying(max_retries: int, sleep: Sleep, max_inline_wait: float = MAX_INLINE_RETRY_AFTER) -> Retrying:
    """Up to `max_retries` retries of TransientError; the last error is re-raised as is."""
    return Retrying(sleep=sleep, stop=_stopper(max_retries, max_inline_wait), wait=_wait,
                    retry=retry_if_exception_type(TransientError), reraise=True)


def async_retrying(max_retries: int, sleep: AsyncSleep,
                   max_inline_wait: float = MAX_INLINE_RETRY_AFTER) -> AsyncRetrying:
    """The async twin of `retrying`."""
    return AsyncRetrying(sleep=sleep, stop=_stopper(max_retries, max_inline_wait), wait=_wait,
                         retry=retry_if_exception_type(TransientError), reraise=True)
