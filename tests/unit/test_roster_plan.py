"""The roster diff: add, move, shorten and remove shifts; unchanged content is no change; the window scopes deletes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flows.roster.plan import PushedBlock, Window, fingerprint, make_plan
from mappings.rostarcas import RosterBlock

AMS = ZoneInfo("Europe/Amsterdam")
WINDOW = Window(date(2027, 3, 22), date(2027, 4, 19), AMS)


def block(key: str, day: date = date(2027, 3, 23), start: int = 9, end: int = 17, **changes: object) -> RosterBlock:
    base: dict[str, object] = {
        "id": f"rostarcas-{key}", "start": datetime(day.year, day.month, day.day, start, tzinfo=AMS),
        "end": datetime(day.year, day.month, day.day, end, tzinfo=AMS), "resource_id": "EMP-001",
        "location_id": "LOC-KONINGSPLEIN", "counter_id": "BALIE-1", "skills": ["PASPOORT-AANVRAAG"], "capacity": 1}
    return RosterBlock.model_validate({**base, **changes})


def pushed(*blocks: RosterBlock) -> dict[str, PushedBlock]:
    return {b.id: PushedBlock.of(b) for b in blocks}


def test_unchanged_content_plans_nothing_even_in_another_offset_or_skill_order() -> None:
    a = block("A", skills=["B", "A"])
    same = a.model_copy(update={"start": a.start.astimezone(ZoneInfo("UTC")), "skills": ["A", "B"]})
    assert fingerprint(a) == fingerprint(same)
    plan = make_plan({same.id: same}, pushed(a), WINDOW)
    assert plan.empty and plan.unchanged == 1


def test_add_move_shorten_and_remove() -> None:
    a, b, c = block("A"), block("B", start=13), block("C", day=date(2027, 3, 24))
    moved = block("A", day=date(2027, 3, 25))
    shortened = block("B", start=13, end=15)
    added = block("D", day=date(2027, 3, 26))
    plan = make_plan({x.id: x for x in (moved, shortened, added)}, pushed(a, b, c), WINDOW)
    assert [x.id for x in plan.create] == ["rostarcas-D"]
    assert [(old.id, new.end) for old, new in plan.update] == [("rostarcas-A", moved.end),
                                                               ("rostarcas-B", shortened.end)]
    assert [x.id for x in plan.delete] == ["rostarcas-C"]
    assert plan.counts() == {"create": 1, "update": 2, "delete": 1, "unchanged": 0}
    assert plan.by_day_and_location(WINDOW) == {
        "2027-03-24 LOC-KONINGSPLEIN": {"delete": 1}, "2027-03-25 LOC-KONINGSPLEIN": {"update": 1},
        "2027-03-23 LOC-KONINGSPLEIN": {"update": 1}, "2027-03-26 LOC-KONINGSPLEIN": {"create": 1}}


def test_a_capacity_or_counter_change_is_an_update() -> None:
    a = block("A")
    assert len(make_plan({a.id: a.model_copy(update={"capacity": 2})}, pushed(a), WINDOW).update) == 1
    assert len(make_plan({a.id: a.model_copy(update={"counter_id": "BALIE-2"})}, pushed(a), WINDOW).update) == 1


def test_past_blocks_are_forgotten_and_blocks_beyond_the_window_left_alone() -> None:
    past = block("P", day=WINDOW.first - timedelta(days=1))
    later = block("L", day=WINDOW.end)
    plan = make_plan({}, pushed(past, later), WINDOW)
    assert plan.delete == [] and plan.forget == ["rostarcas-P"]
