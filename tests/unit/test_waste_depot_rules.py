"""The gate's decision: every reason code, the window on DST days, retries, the calendar year, codes, texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.waste_depot.codes import normalise_pass, pass_key, signed_code
from flows.waste_depot.messages import message_for
from flows.waste_depot.rules import Booking, Decision, Pass, Rules, Visit, decide
from hub.store.waste_depot import local_day_start, year_of

AMS = ZoneInfo("Europe/Amsterdam")
RULES = Rules()
LOC = "LOC-MILIEUSTRAAT"


def booking(start: datetime, minutes: int = 15, status: str = "booked", location: str = LOC) -> Booking:
    return Booking("MS-1", status, start, start.astimezone(UTC) + timedelta(minutes=minutes), location, "k")


def check(now: datetime, b: Booking | None, *, visit: Visit | None = None, pass_: Pass | None = None,
          gate: str = "gate-1", gate_location: str | None = LOC) -> Decision:
    return decide(now=now, gate_id=gate, gate_location=gate_location, booking=b, visit=visit,
                  pass_=pass_ if pass_ is not None else Pass("valid", 0), rules=RULES)


START = datetime(2027, 6, 1, 10, 0, tzinfo=AMS)


def test_ok_inside_the_window_counts_down_the_free_visits() -> None:
    d = check(START, booking(START), pass_=Pass("valid", 3))
    assert (d.allow, d.reason, d.visits_left, d.new_visit) == (True, "ok", 6, True)
    assert message_for(d).startswith("Welkom") and "6 gratis bezoeken" in message_for(d)


def test_window_edges_one_hour_either_side() -> None:
    b = booking(START)
    assert check(START - timedelta(hours=1), b).reason == "ok"
    assert check(START - timedelta(hours=1, seconds=1), b).reason == "too-early"
    assert check(b.end + timedelta(hours=1), b).reason == "ok"
    assert check(b.end + timedelta(hours=1, seconds=1), b).reason == "too-late"


def test_too_early_and_too_late_say_the_local_time() -> None:
    b = booking(START)
    early = check(START - timedelta(hours=3), b)
    late = check(START + timedelta(hours=3), b)
    assert (early.allow, early.reason, late.reason) == (False, "too-early", "too-late")
    assert "09:00" in message_for(early) and "11:15" in message_for(late)


@pytest.mark.parametrize(("local_start", "earliest_utc", "latest_utc"), [
    # 28 March 2027: clocks go 02:00 CET → 03:00 CEST. 03:30 CEST = 01:30 UTC; window 00:30 … 02:45 UTC.
    (datetime(2027, 3, 28, 3, 30, tzinfo=AMS), datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
     datetime(2027, 3, 28, 2, 45, tzinfo=UTC)),
    # 31 October 2027: clocks go 03:00 CEST → 02:00 CET. 02:30 the second time (fold=1) = 01:30 UTC.
    (datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=AMS), datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
     datetime(2027, 10, 31, 2, 45, tzinfo=UTC)),
    # An ordinary morning on both DST days.
    (datetime(2027, 3, 28, 9, 0, tzinfo=AMS), datetime(2027, 3, 28, 6, 0, tzinfo=UTC),
     datetime(2027, 3, 28, 8, 15, tzinfo=UTC)),
    (datetime(2027, 10, 31, 9, 0, tzinfo=AMS), datetime(2027, 10, 31, 7, 0, tzinfo=UTC),
     datetime(2027, 10, 31, 9, 15, tzinfo=UTC)),
])
def test_window_on_dst_days_is_one_real_hour(local_start: datetime, earliest_utc: datetime,
                                            latest_utc: datetime) -> None:
    b = booking(local_start)
    assert check(earliest_utc, b).reason == "ok"
    assert check(earliest_utc - timedelta(minutes=1), b).reason == "too-early"
    assert check(latest_utc, b).reason == "ok"
    assert check(latest_utc + timedelta(minutes=1), b).reason == "too-late"


def test_too_early_text_on_the_spring_dst_day_shows_the_wall_clock() -> None:
    """03:30 CEST minus one real hour is 01:30 CET on the wall (02:xx does not exist that night)."""
    d = check(datetime(2027, 3, 28, 0, 0, tzinfo=UTC), booking(datetime(2027, 3, 28, 3, 30, tzinfo=AMS)))
    assert d.reason == "too-early" and "01:30" in message_for(d)


def test_unknown_code_and_unknown_gate() -> None:
    assert check(START, None).reason == "unknown-code"
    assert check(START, booking(START), gate_location=None).reason == "unknown-gate"


def test_wrong_location() -> None:
    assert check(START, booking(START, location="LOC-OTHER")).reason == "wrong-location"


@pytest.mark.parametrize("status", ["cancelled", "closed"])
def test_cancelled(status: str) -> None:
    assert check(START, booking(START, status=status)).reason == "cancelled"


def test_checked_in_elsewhere_is_already_used() -> None:
    assert check(START, booking(START, status="checked_in")).reason == "already-used"


def test_same_gate_retry_within_a_minute_gets_the_same_allow_without_a_new_visit() -> None:
    visit = Visit("gate-1", START, visits_left=6)
    again = check(START + timedelta(seconds=59), booking(START, status="checked_in"), visit=visit)
    assert (again.allow, again.reason, again.visits_left, again.new_visit) == (True, "ok", 6, False)


@pytest.mark.parametrize(("gate", "after"), [("gate-1", timedelta(seconds=61)), ("gate-2", timedelta(seconds=5))])
def test_second_scan_is_already_used(gate: str, after: timedelta) -> None:
    d = check(START + after, booking(START), visit=Visit("gate-1", START, 6), gate=gate)
    assert (d.allow, d.reason) == (False, "already-used")


def test_pass_void_unknown_and_no_credit() -> None:
    b = booking(START)
    assert check(START, b, pass_=Pass("void", 0)).reason == "pass-void"
    assert decide(now=START, gate_id="g", gate_location=LOC, booking=b, visit=None, pass_=None,
                  rules=RULES).reason == "pass-unknown"
    exhausted = check(START, b, pass_=Pass("valid", 10))
    assert (exhausted.allow, exhausted.reason, exhausted.visits_left) == (False, "pass-no-credit", 0)
    last = check(START, b, pass_=Pass("valid", 9))
    assert (last.allow, last.visits_left) == (True, 0)


def test_every_reason_has_a_dutch_text_without_placeholders_left() -> None:
    from flows.waste_depot.messages import TEXTS

    for reason in TEXTS:
        text = message_for(Decision(reason == "ok", reason, opens_at=START, closes_at=START))  # type: ignore[arg-type]
        assert "{" not in text and text


def test_calendar_year_is_amsterdam_local() -> None:
    assert year_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == 2027  # 00:30 on 1 January in Amsterdam
    assert year_of(datetime(2026, 12, 31, 22, 59, tzinfo=UTC)) == 2026


def test_today_and_tomorrow_on_dst_days() -> None:
    spring = datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
    assert local_day_start(spring, 1) - local_day_start(spring) == timedelta(hours=23)
    autumn = datetime(2027, 10, 31, 12, 0, tzinfo=UTC)
    assert local_day_start(autumn, 1) - local_day_start(autumn) == timedelta(hours=25)
    assert local_day_start(autumn) == datetime(2027, 10, 30, 22, 0, tzinfo=UTC)  # midnight CEST


def test_codes_and_pass_keys() -> None:
    code = signed_code("k1", "MS-1")
    assert code.startswith("MS1-") and code == signed_code("k1", "MS-1")
    assert code != signed_code("k2", "MS-1") and code != signed_code("k1", "MS-2")
    assert pass_key("k", "ab 12 34") == pass_key("k", "AB1234") and normalise_pass(" ab 1 ") == "AB1"
    assert "AB1234" not in pass_key("k", "AB1234") and len(pass_key("k", "AB1234")) == 64
