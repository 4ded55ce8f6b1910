"""mappings/rostarcas: activity codes, employees, locations and counters → staffing blocks; DST-safe times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.rostarcas import Shift
from mappings.rostarcas import RosterBlock, Skipped, block_id, interval, load_mapping, map_shift

AMS = ZoneInfo("Europe/Amsterdam")
MAPPING = load_mapping()


def shift(**changes: object) -> Shift:
    base: dict[str, object] = {"shift_id": "D-1", "employee_id": "RC-1001", "day": date(2027, 3, 26),
                               "start": time(9), "end": time(17), "activity_code": "BALIE-BZ",
                               "location_code": "KP", "counter_code": "B1"}
    return Shift.model_validate({**base, **changes})


def test_a_bookable_shift_becomes_a_block_with_skills_capacity_and_register_ids() -> None:
    block = map_shift(shift(), MAPPING)
    assert isinstance(block, RosterBlock)
    assert (block.id, block.resource_id, block.location_id, block.counter_id, block.capacity) == (
        "rostarcas-D-1", "EMP-001", "LOC-KONINGSPLEIN", "BALIE-1", 1)
    assert {"PASPOORT-AANVRAAG", "RIJBEWIJS-AANVRAAG"} <= set(block.skills)
    assert "UITKERING-INTAKE" not in block.skills
    gate = map_shift(shift(activity_code="MS-POORT", location_code="MS", counter_code="P1"), MAPPING)
    assert isinstance(gate, RosterBlock) and gate.capacity == 3 and gate.skills == ["MILIEUSTRAAT-BEZOEK"]


@pytest.mark.parametrize("code", ["PAUZE", "BACKOFFICE", "TRAINING"])
def test_breaks_back_office_and_training_give_no_block(code: str) -> None:
    result = map_shift(shift(activity_code=code), MAPPING)
    assert isinstance(result, Skipped) and result.kind == "not_bookable"


@pytest.mark.parametrize(("changes", "kind"), [
    ({"activity_code": "BALIE-ONBEKEND"}, "unmapped_activity"),
    ({"employee_id": "RC-9999"}, "unmapped_employee"),
    ({"location_code": "XX"}, "unmapped_location"),
    ({"counter_code": "B9"}, "unmapped_counter"),
    ({"day": date(2027, 3, 28), "start": time(2, 30), "end": time(6)}, "invalid_time"),
])
def test_unmapped_codes_are_reported_with_their_kind(changes: dict[str, object], kind: str) -> None:
    result = map_shift(shift(**changes), MAPPING)
    assert isinstance(result, Skipped) and result.kind == kind and result.shift_id == "D-1"


@pytest.mark.parametrize(("day", "utc_start", "offset_hours"), [
    (date(2027, 3, 27), datetime(2027, 3, 27, 8, tzinfo=UTC), 1),   # Saturday before spring-forward
    (date(2027, 3, 28), datetime(2027, 3, 28, 7, tzinfo=UTC), 2),   # Sunday of spring-forward
    (date(2027, 10, 30), datetime(2027, 10, 30, 7, tzinfo=UTC), 2),  # Saturday before fall-back
    (date(2027, 10, 31), datetime(2027, 10, 31, 8, tzinfo=UTC), 1),  # Sunday of fall-back
])
def test_shifts_on_the_clock_change_weekends_keep_their_wall_clock_times(day: date, utc_start: datetime,
                                                                         offset_hours: int) -> None:
    block = map_shift(shift(day=day), MAPPING)
    assert isinstance(block, RosterBlock)
    assert block.start.astimezone(UTC) == utc_start
    assert block.start.utcoffset() == timedelta(hours=offset_hours)
    assert (block.start.astimezone(AMS).time(), block.end.astimezone(AMS).time()) == (time(9), time(17))
    assert block.end - block.start == timedelta(hours=8)


def test_a_night_shift_across_the_clock_change_ends_next_day_at_its_wall_clock_time() -> None:
    start, end = interval(date(2027, 3, 27), time(22), time(6), AMS)
    assert end.astimezone(AMS).replace(tzinfo=None) == datetime(2027, 3, 28, 6)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=7)  # one hour less in March
    start, end = interval(date(2027, 10, 30), time(22), time(6), AMS)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=9)  # one hour more in October


def test_block_ids_are_stable_and_safe() -> None:
    assert block_id("D-1") == block_id("D-1") == "rostarcas-D-1"
    odd = block_id("D/1:2")
    assert odd.startswith("rostarcas-D_1_2-") and odd != block_id("D_1_2")
