"""Backoff grows, is capped, has jitter, and never undercuts Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hub.backoff import backoff_seconds, parse_retry_after


def test_backoff_grows_and_caps() -> None:
    rng = random.Random(1)
    delays = [backoff_seconds(a, 1.0, 60.0, rng=rng) for a in range(1, 12)]
    assert delays[0] <= 1.0 and delays[3] > delays[0]
    assert max(delays) <= 60.0


def test_backoff_jitter_varies() -> None:
    rng = random.Random(2)
    assert len({backoff_seconds(5, 1.0, 60.0, rng=rng) for _ in range(20)}) > 1


def test_retry_after_is_a_floor() -> None:
    assert backoff_seconds(1, 0.01, 0.05, retry_after=7) == 7


def test_parse_retry_after_seconds_and_date() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_retry_after("12") == 12
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
