"""The register's own rate limit (as the SaaS enforces it): beyond `rate` requests per second, 429.

A token bucket holding at most `burst` requests, refilled at `rate` per second; a request that finds it
empty is refused with 429 and a Retry-After (whole seconds, at least 1) and counted in `refused`.
Only the API is limited (`/api/…`), not the token endpoint or the sandbox's control routes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.problems import problem_response


class RateLimit:
    """At most `rate` requests per second with bursts up to `burst`; thread-safe."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._clock = clock
        self._tokens = self.burst
        self._at = clock()
        self._lock = threading.Lock()
        self.admitted = 0
        self.refused = 0

    def admit(self) -> float | None:
        """None when the request may pass; else the seconds until it would."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                self.admitted += 1
                return None
            self.refused += 1
            return (1 - self._tokens) / self.rate


class RateLimitMiddleware:
    """ASGI: answers 429 (problem+json, Retry-After) when `limit()` says the API is over its rate."""

    def __init__(self, app: ASGIApp, limit: Callable[[], RateLimit | None], api_prefix: str) -> None:
        self.app = app
        self.limit = limit
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit()
        if limit is not None and scope["type"] == "http" and self.api_prefix in scope.get("path", ""):
            wait = limit.admit()
            if wait is not None:
                response = problem_response(429, f"rate limit of {limit.rate:g} requests per second exceeded",
                                            instance=scope.get("path"), code="rate-limited",
                                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


__all__ = ["RateLimit", "RateLimitMiddleware"]
