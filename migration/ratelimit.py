"""A client-side rate limit for the register: a token bucket that halves its rate on 429 and recovers.

Hooked into the httpx client the register connector uses, so every request (retries included) waits
for a token, and every 429 slows the whole load down (honouring Retry-After as a pause).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from hub.backoff import parse_retry_after
from hub.outbound import async_http_client

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class AdaptiveRateLimiter:
    """At most `rate` requests per second; on 429 the rate halves (down to `min_rate`) and the bucket
    pauses for Retry-After; every `recover_after` successes it grows back by 10 % up to `rate`."""

    def __init__(self, rate: float, *, min_rate: float = 0.5, recover_after: int = 50,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = rate
        self.rate = rate
        self.min_rate = min(min_rate, rate)
        self.recover_after = recover_after
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._lock = asyncio.Lock()
        self._successes = 0
        self.throttled = 0

    async def acquire(self) -> None:
        """Wait for the next free slot."""
        async with self._lock:
            moment = self._clock()
            wait = self._next - moment
            self._next = max(self._next, moment) + 1.0 / self.rate
        if wait > 0:
            await self._sleep(wait)

    def on_response(self, status: int, retry_after: float | None = None) -> None:
        """Adapt to an answer: 429 slows down (and pauses), successes slowly speed up again."""
        if status == 429:
            self.throttled += 1
            self._successes = 0
            self.rate = max(self.min_rate, self.rate / 2)
            pause = retry_after if retry_after is not None else 1.0 / self.rate
            self._next = max(self._next, self._clock() + pause)
            return
        self._successes += 1
        if self._successes >= self.recover_after and self.rate < self.max_rate:
            self._successes = 0
            self.rate = min(self.max_rate, self.rate * 1.1)


def rate_limited_http(limiter: AdaptiveRateLimiter, *, concurrency: int, timeout: float) -> httpx.AsyncClient:
    """An httpx client whose every request passes the limiter and whose answers feed it."""
    async def before(request: httpx.Request) -> None:
        await limiter.acquire()

    async def after(response: httpx.Response) -> None:
        limiter.on_response(response.status_code, parse_retry_after(response.headers.get("Retry-After")))

    return async_http_client("register", timeout=httpx.Timeout(timeout),
                             limits=httpx.Limits(max_connections=concurrency),
                             event_hooks={"request": [before], "response": [after]})


__all__ = ["AdaptiveRateLimiter", "rate_limited_http"]
