"""One tenacity retry policy for every connector, from a `RetryPolicy` (settings), honouring Retry-After.

Only `hub.errors.TransientError` is retried. The wait before a retry is the peer's Retry-After when it sent
one (seconds or an HTTP date, parsed where the error is made), else exponential backoff with full jitter.
A Retry-After longer than `max_inline_retry_after` is not waited for in-process: the error goes to the caller
(the delivery runtime schedules the retry), keeping its `retry_after`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type

from hub.backoff import backoff_seconds
from hub.errors import TransientError

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
BeforeSleep = Callable[[RetryCallState], None]


class RetryPolicy(BaseModel):
    """How often and how long a connector retries a transient failure before handing it to the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_retries: int = Field(default=4, ge=0, description="retries after the first attempt")
    backoff_base_seconds: float = Field(default=0.5, gt=0, description="first backoff (doubles per attempt)")
    backoff_cap_seconds: float = Field(default=30.0, gt=0, description="longest backoff without Retry-After")
    max_inline_retry_after: float = Field(default=60.0, ge=0,
                                          description="longest Retry-After waited for in-process")

    def with_retries(self, max_retries: int) -> RetryPolicy:
        """This policy with another retry count (a connector's `max_retries` setting)."""
        return self.model_copy(update={"max_retries": max_retries})


def _transient(state: RetryCallState) -> TransientError | None:
    exc = state.outcome.exception() if state.outcome is not None else None
    return exc if isinstance(exc, TransientError) else None


def wait_seconds(policy: RetryPolicy, state: RetryCallState) -> float:
    """Retry-After when the peer sent one, else backoff with jitter for this attempt."""
    exc = _transient(state)
    if exc is not None and exc.retry_after is not None:
        return exc.retry_after
    return backoff_seconds(state.attempt_number, policy.backoff_base_seconds, policy.backoff_cap_seconds)


def should_stop(policy: RetryPolicy, state: RetryCallState) -> bool:
    """Out of retries, or the peer asked for a longer wait than is worth blocking for."""
    if state.attempt_number > policy.max_retries:
        return True
    exc = _transient(state)
    return exc is not None and exc.retry_after is not None and exc.retry_after > policy.max_inline_retry_after


def _arguments(policy: RetryPolicy, before_sleep: BeforeSleep | None) -> dict[str, Any]:
    extra: dict[str, Any] = {} if before_sleep is None else {"before_sleep": before_sleep}
    return {"stop": lambda state: should_stop(policy, state), "wait": lambda state: wait_seconds(policy, state),
            "retry": retry_if_exception_type(TransientError), "reraise": True, **extra}


def retrying(policy: RetryPolicy, sleep: Sleep = time.sleep, before_sleep: BeforeSleep | None = None) -> Retrying:
    """A sync tenacity policy (use `.copy()` per call when threads share it); the last error is re-raised."""
    return Retrying(sleep=sleep, **_arguments(policy, before_sleep))


def async_retrying(policy: RetryPolicy, sleep: AsyncSleep, before_sleep: BeforeSleep | None = None) -> AsyncRetrying:
    """The async twin of `retrying` (use `.copy()` per call: tasks share a thread)."""
    return AsyncRetrying(sleep=sleep, **_arguments(policy, before_sleep))


__all__ = ["AsyncSleep", "RetryPolicy", "Sleep", "async_retrying", "retrying", "should_stop", "wait_seconds"]
