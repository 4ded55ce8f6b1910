"""Times and durations as operators type them: Amsterdam time unless an offset is given; one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.when import parse_duration, parse_moment


def test_moments_without_offset_are_amsterdam_time() -> None:
    assert parse_moment("2026-12-06T18:00") == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # CET, UTC+1
    assert parse_moment("2026-07-01T18:00") == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)  # CEST, UTC+2
    assert parse_moment("2026-12-06") == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert parse_moment("2026-12-06T18:00+00:00") == datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1D") == timedelta(days=1)


@pytest.mark.parametrize(("text", "says"), [("yesterday", "not a date or time"), ("2026-13-01", "not a date")])
def test_bad_moments_say_what_to_type(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_moment(text)


@pytest.mark.parametrize("text", ["2", "2 hours", "-1h", "1w"])
def test_bad_durations_say_what_to_type(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
