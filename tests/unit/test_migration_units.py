"""Pure parts of the migration: waivers, masking, the rate limiter, the report chart, zeep XXE settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lxml import etree
from zeep.exceptions import DTDForbidden, EntitiesForbidden
from zeep.loader import parse_xml

from connectors.jcc.client import safe_settings
from migration import chart
from migration.ratelimit import AdaptiveRateLimiter
from migration.reconcile import mask
from migration.waivers import Waivers, template

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<foo>&xxe;</foo>"""


def test_zeep_refuses_dtds_and_entities() -> None:
    settings = safe_settings()
    assert settings.forbid_dtd and settings.forbid_entities and settings.forbid_external
    with pytest.raises((DTDForbidden, EntitiesForbidden)):
        parse_xml(XXE, None, settings=settings)
    plain = parse_xml(b"<foo>ok</foo>", None, settings=settings)
    assert isinstance(plain, etree._Element) and plain.text == "ok"


def test_waivers_match_by_appointment_and_kind(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - appointment: jcc:100001\n    reason: product no longer offered\n"
                    "  - appointment: 100002\n    kind: '*'\n    reason: checked by hand\n")
    waivers = Waivers.load(path)
    assert len(waivers) == 2
    assert waivers.find("100001", "rejected") is not None
    assert waivers.find("100001", "missing") is None
    assert waivers.find("100002", "mismatched") is not None


def test_a_waiver_needs_a_real_reason(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(template([("100001", "rejected", "unmapped-product")]))
    with pytest.raises(ValueError, match="not TODO"):
        Waivers.load(path)


def test_personal_values_are_masked_consistently() -> None:
    assert mask("customer.bsn", "999993653") == mask("customer.bsn", "999993653")
    assert "999993653" not in (mask("customer.bsn", "999993653") or "")
    assert mask("location", "LOC-ZVH") == "LOC-ZVH"
    assert mask("customer.email", "") == "(empty)"
    assert (mask("notes", "Gezin: twee paspoorten") or "").startswith("[masked #")  # free text may be personal


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests_and_backs_off_on_429() -> None:
    t = FakeTime()
    limiter = AdaptiveRateLimiter(10, clock=t.clock, sleep=t.sleep, recover_after=2)

    async def take(n: int) -> None:
        for _ in range(n):
            await limiter.acquire()

    asyncio.run(take(5))
    assert t.now == pytest.approx(0.4)  # 5 requests at 10/s: the 5th waits until 0.4 s
    limiter.on_response(429, retry_after=2.0)
    assert limiter.rate == 5 and limiter.throttled == 1
    before = t.now
    asyncio.run(take(1))
    assert t.now - before >= 2.0  # Retry-After pauses the bucket
    limiter.on_response(200)
    limiter.on_response(200)
    assert limiter.rate == pytest.approx(5.5)  # recovers slowly


def test_chart_buckets_long_ranges_and_scales_bars() -> None:
    days = [(f"2027-01-{d:02d}", d, d) for d in range(1, 31)]
    small = chart.build(days)
    assert small.unit == "day" and len(small.bars) == 30 and small.bars[-1].source_height == small.plot_height
    from datetime import date, timedelta
    year = [((date(2027, 1, 1) + timedelta(days=i)).isoformat(), 1, 1) for i in range(365)]
    big = chart.build(year)
    assert big.unit == "week" and sum(b.source for b in big.bars) == 365


def test_a_staging_database_of_an_older_version_is_refused_by_name(tmp_path: Path) -> None:
    import sqlite3

    from migration.db import Staging

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # mig_source as it was before JCC's raw payload was kept
        conn.execute("CREATE TABLE mig_source (external_id VARCHAR(80) PRIMARY KEY, app_id VARCHAR(64) NOT NULL, "
                     "day VARCHAR(10), location_id VARCHAR(64), record TEXT NOT NULL, payload_hash VARCHAR(64) "
                     "NOT NULL, origin VARCHAR(16) NOT NULL, extracted_at DATETIME NOT NULL)")
    with pytest.raises(ValueError, match="mig_source lacks raw"):
        Staging(f"sqlite:///{path}")
