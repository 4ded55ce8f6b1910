"""Drift pieces without I/O: the daylight-saving flag of a shift, the CSV shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.drift.report import CSV_COLUMNS, Finding, shift_of, to_csv

ZONE = "Europe/Amsterdam"
WINTER = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
SUMMER_SLOT = datetime(2027, 4, 5, 7, 0, tzinfo=UTC)  # 09:00 summer time


def test_an_hour_off_across_the_change_is_a_dst_shift() -> None:
    assert shift_of(SUMMER_SLOT, SUMMER_SLOT + timedelta(hours=1), ZONE, WINTER) == (60, True)


def test_an_hour_off_within_one_season_is_an_ordinary_shift() -> None:
    winter_slot = datetime(2027, 2, 10, 8, 0, tzinfo=UTC)
    assert shift_of(winter_slot, winter_slot + timedelta(hours=1), ZONE, WINTER) == (60, False)
    assert shift_of(SUMMER_SLOT, SUMMER_SLOT + timedelta(minutes=30), ZONE, WINTER) == (30, False)


def test_csv_has_one_row_per_finding_with_blank_unknowns() -> None:
    text = to_csv([Finding(peer="outlook", kind="missing", appointment_id="A-1", target="room")])
    header, row = text.splitlines()
    assert header == ",".join(CSV_COLUMNS)
    assert row.startswith("outlook,missing,A-1,room,,,,,False,resend,")
