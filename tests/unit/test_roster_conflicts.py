"""Capacity conflicts: bookings a changed block can no longer serve, by counter or employee, product and time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.roster.conflicts import find_conflicts, merged_ranges, peak, serves
from flows.roster.report import to_csv
from hub.model import Appointment
from mappings.rostarcas import RosterBlock

AMS = ZoneInfo("Europe/Amsterdam")
DAY = datetime(2027, 3, 23, tzinfo=AMS)


def block(key: str, start: int = 9, end: int = 17, **changes: Any) -> RosterBlock:
    base = {"id": f"rostarcas-{key}", "start": DAY + timedelta(hours=start), "end": DAY + timedelta(hours=end),
            "resource_id": "EMP-001", "location_id": "LOC-KONINGSPLEIN", "counter_id": "BALIE-1",
            "skills": ["PASPOORT-AANVRAAG"], "capacity": 1}
    return RosterBlock.model_validate({**base, **changes})


def appt(key: str, hour: float, *, counter: str | None = "BALIE-1", status: str = "booked",
         product: str = "PASPOORT-AANVRAAG", employee: str | None = None, minutes: int = 15) -> Appointment:
    start = DAY + timedelta(hours=hour)
    return Appointment.model_validate({
        "id": key, "version": 1, "status": status, "start": start, "end": start + timedelta(minutes=minutes),
        "location": {"id": "LOC-KONINGSPLEIN"}, "products": [{"code": product}],
        "counter": {"id": counter} if counter else None, "employee": {"id": employee} if employee else None})


def test_serves_by_counter_or_employee_product_location_time_and_status() -> None:
    b = block("A")
    assert serves(b, appt("1", 10))
    assert serves(b, appt("2", 10, counter=None, employee="EMP-001"))
    assert not serves(b, appt("3", 10, counter="BALIE-2"))
    assert not serves(b, appt("4", 10, product="RIJBEWIJS-AANVRAAG"))
    assert not serves(b, appt("5", 17))
    assert not serves(b, appt("6", 10, status="cancelled"))
    assert not serves(b, appt("7", 10, counter=None))


def test_peak_counts_overlap_and_back_to_back_is_not_overlap() -> None:
    assert peak([appt("1", 10), appt("2", 10.25)], 1) == (1, [])
    assert peak([appt("1", 10), appt("2", 10.1), appt("3", 11)], 1) == (2, ["1", "2"])


def test_over_capacity_after_a_capacity_drop() -> None:
    old, new = block("G", capacity=3), block("G", capacity=1)
    bookings = [appt("1", 10), appt("2", 10), appt("3", 14)]
    (conflict,) = find_conflicts([new], [old], [new], bookings, AMS)
    assert (conflict.kind, conflict.capacity, conflict.booked, conflict.appointment_ids) == (
        "over_capacity", 1, 2, ["1", "2"])
    assert conflict.date.isoformat() == "2027-03-23"


def test_shortened_or_removed_shift_leaves_bookings_uncovered_unless_another_block_serves_them() -> None:
    old, short = block("A"), block("A", end=12)
    other_counter_block = block("B", start=13, end=17, counter_id="BALIE-1", resource_id="EMP-002")
    bookings = [appt("morning", 10), appt("afternoon", 14), appt("late", 16.5)]
    (c,) = find_conflicts([short], [old], [short], bookings, AMS)
    assert (c.kind, c.block_id, c.capacity, c.appointment_ids) == ("uncovered", "rostarcas-A", 0, ["afternoon", "late"])
    assert find_conflicts([short], [old], [short, other_counter_block], bookings, AMS) == []
    (removed,) = find_conflicts([], [old], [], bookings, AMS)
    assert removed.booked == 1 and len(removed.appointment_ids) == 3


def test_ranges_are_merged_per_location_and_the_csv_has_the_planner_columns() -> None:
    ranges = merged_ranges([block("A", 9, 12), block("B", 11, 14), block("C", 15, 16),
                            block("D", 9, 10, location_id="LOC-MILIEUSTRAAT")])
    assert [(loc, s.hour, e.hour) for loc, s, e in ranges] == [
        ("LOC-KONINGSPLEIN", 9, 14), ("LOC-KONINGSPLEIN", 15, 16), ("LOC-MILIEUSTRAAT", 9, 10)]
    bridged = merged_ranges([block("A", 9, 12), block("C", 15, 16)], bridge=timedelta(hours=3))
    assert [(loc, s.hour, e.hour) for loc, s, e in bridged] == [("LOC-KONINGSPLEIN", 9, 16)]
    conflicts = find_conflicts([], [block("A")], [], [appt("x", 10)], AMS)
    lines = to_csv(conflicts).splitlines()
    assert lines[0] == "date;block;kind;location;counter;employee;skills;start;end;capacity;booked;appointment_ids"
    assert lines[1].startswith("2027-03-23;rostarcas-A;uncovered;LOC-KONINGSPLEIN;BALIE-1;EMP-001;") \
        and lines[1].endswith(";0;1;x")
