"""The register simulator's rate limit: beyond R requests per second it answers 429 with Retry-After."""

from __future__ import annotations

import httpx

from sandbox.register import RegisterSimulator
from sandbox.register.ratelimit import RateLimit


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_admits_rate_and_burst_then_refuses_with_the_wait() -> None:
    ticks = Ticks()
    limit = RateLimit(10, burst=2, clock=ticks)
    assert [limit.admit() for _ in range(2)] == [None, None]
    wait = limit.admit()
    assert wait is not None and abs(wait - 0.1) < 1e-9
    ticks.now = 0.1  # one token back
    assert limit.admit() is None and limit.admit() is not None
    assert (limit.admitted, limit.refused) == (3, 2)


def test_api_answers_429_beyond_the_rate_and_counts_it(register: RegisterSimulator, api: httpx.Client) -> None:
    assert api.get("/products").status_code == 200  # no limit set: unlimited
    limit = register.set_rate_limit(0.01, burst=1)  # one request, then none for 100 s
    assert limit is not None
    assert api.get("/products").status_code == 200
    refused = api.get("/products")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "100"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert limit.refused == 1 and [c.status for c in register.calls.all()][-1] == 429
    register.set_rate_limit(None)
    assert api.get("/products").status_code == 200
