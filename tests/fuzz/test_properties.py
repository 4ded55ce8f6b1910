"""Property tests (hypothesis) for the model and the mappings: BSN check, DST handling, truncation, JCC
product lists, and the log redaction of what the 11-proef accepts."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.jcc.quirks import AMSTERDAM, NonexistentLocalTime, amsterdam_time, product_lines
from hub.bsn import passes_elfproef
from hub.logging import redact_text
from hub.model import parse_event
from mappings.jcc.normalise import bsn as jcc_bsn
from mappings.rostarcas import NonexistentTimeError, wall_clock
from mappings.salesforce import ELLIPSIS, truncate
from tests.support.events import cloudevent

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
digits8 = st.lists(st.integers(0, 9), min_size=8, max_size=8)


def with_check_digit(head: list[int]) -> str | None:
    """The nine-digit number with `head` and the check digit that passes the 11-proef (None if there is none)."""
    check = sum(w * d for w, d in zip(WEIGHTS, head, strict=True)) % 11
    number = "".join(map(str, head)) + str(check)
    return number if check < 10 and number != "000000000" else None


@st.composite
def valid_bsns(draw: st.DrawFn) -> str:
    number = with_check_digit(draw(digits8))
    assume(number is not None)
    assert number is not None
    return number


# -- BSN -------------------------------------------------------------------------------------------

@given(st.text(max_size=12))
def test_only_nine_ascii_digits_can_pass(text: str) -> None:
    if passes_elfproef(text):
        assert re.fullmatch(r"[0-9]{9}", text)


@example("٩٩٩٩٩٣٦٥٣")  # 999993653 in Arabic-Indic digits: isdigit() and int() accept it
@example("፩፪፫፬፭፮፯፰፱")  # Ethiopic digits: isdigit() accepts, int() raises
@given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=9, max_size=9))
def test_other_scripts_digits_are_refused_not_crashing(text: str) -> None:
    assume(not text.isascii())
    assert passes_elfproef(text) is False
    assert jcc_bsn(text)[0] is None


@given(digits8)
def test_exactly_one_check_digit_completes_eight_digits(head: list[int]) -> None:
    prefix = "".join(map(str, head))
    passing = [d for d in "0123456789" if passes_elfproef(prefix + d)]
    assert passing == ([] if with_check_digit(head) is None else [with_check_digit(head)[-1]])  # type: ignore[index]


@given(valid_bsns(), st.integers(0, 8), st.integers(1, 9))
def test_one_changed_digit_is_detected(number: str, position: int, delta: int) -> None:
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert not passes_elfproef(changed)


@given(valid_bsns())
def test_model_accepts_exactly_the_valid_bsns(number: str) -> None:
    event = cloudevent()
    event["data"]["customer"]["bsn"] = number
    assert parse_event(event).data.customer.bsn == number  # type: ignore[attr-defined]
    event["data"]["customer"]["bsn"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(ValidationError):
        parse_event(event)


words = st.text(alphabet=st.characters(categories=["L", "Zs", "P"], exclude_characters="@"), max_size=20)


@given(words, valid_bsns(), words)
def test_every_valid_bsn_is_redacted_in_free_text(before: str, number: str, after: str) -> None:
    assert number not in redact_text(f"{before} {number} {after}")


@example("*@A.af")  # an RFC 5322 local part the redaction did not know
@example("o'brien@example.xn--p1ai")  # and a punycode top-level domain
@given(st.emails())
def test_every_email_address_is_redacted_in_free_text(email: str) -> None:
    redacted = redact_text(f"mail {email} terug")
    assert email not in redacted and "@" not in redacted


@given(st.sampled_from(["06-{0}", "06{0}", "+31 6 {0}", "0031 6{0}", "06 {0}"]), st.integers(10**7, 10**8 - 1))
def test_dutch_mobile_numbers_are_redacted(pattern: str, number: int) -> None:
    phone = pattern.format(number)
    assert phone not in redact_text(f"bel {phone} terug")


@pytest.mark.parametrize("phone", ["(013) 123 4567", "(020) 123 45 67", "(0299) 12 34 56", "(0416)-123456"])
def test_area_code_in_parentheses_is_redacted(phone: str) -> None:  # was kept whole
    assert redact_text(f"bel {phone} terug") == "bel [phone] terug"


@given(st.sampled_from(["({0}) {1}", "({0}){1}", "{0}-{1}", "{0} {1}", "+31 (0){0} {1}"]),
       st.sampled_from(["013", "020", "0299", "0416"]), st.integers(10**5, 10**6 - 1))
def test_dutch_landline_numbers_are_redacted(pattern: str, area: str, number: int) -> None:
    subscriber = str(number).rjust(10 - len(area), "1")  # ten digits with the area code
    phone = pattern.format(area if not pattern.startswith("+31") else area[1:], subscriber)
    redacted = redact_text(f"bel {phone} terug")
    assert phone not in redacted and not any(ch.isdigit() for ch in redacted)


# -- time zones around DST -------------------------------------------------------------------------

naive_times = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31))


def in_spring_gap(value: datetime) -> bool:
    """The hour skipped on the last Sunday of March (02:00-03:00 local)."""
    last_sunday = max(date(value.year, 3, d) for d in range(25, 32) if date(value.year, 3, d).weekday() == 6)
    return value.date() == last_sunday and value.hour == 2


@given(naive_times)
def test_jcc_wall_clock_keeps_the_time_or_names_the_gap(value: datetime) -> None:
    if in_spring_gap(value):
        with pytest.raises(NonexistentLocalTime):
            amsterdam_time(value)
        return
    aware = amsterdam_time(value)
    assert aware.replace(tzinfo=None) == value
    assert aware.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert aware.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) == value


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_every_instant_survives_the_amsterdam_round_trip(instant: datetime) -> None:
    local = instant.astimezone(AMSTERDAM)
    if local.fold == 0:  # the second pass through the autumn hour reads back as the first (documented)
        assert amsterdam_time(local.replace(tzinfo=None)) == instant


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)), st.times())
def test_roster_wall_clock_matches_the_jcc_reading(day: date, at: time) -> None:
    at = at.replace(tzinfo=None)
    naive = datetime.combine(day, at)
    if in_spring_gap(naive):
        with pytest.raises(NonexistentTimeError):
            wall_clock(day, at, AMSTERDAM)
    else:
        assert wall_clock(day, at, AMSTERDAM) == amsterdam_time(naive)


# -- truncation ------------------------------------------------------------------------------------

def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@given(st.text(max_size=300), st.integers(1, 120))
def test_truncate_fits_the_limit_and_keeps_a_prefix(text: str, limit: int) -> None:
    cut = truncate(text, limit)
    assert cut is not None and utf16_units(cut) <= limit
    whole = unicodedata.normalize("NFC", text)
    if cut != whole:
        assert cut.endswith(ELLIPSIS) and whole.startswith(cut.removesuffix(ELLIPSIS))
        kept = cut.removesuffix(ELLIPSIS)
        rest = whole[len(kept):].lstrip()
        assert not rest or not unicodedata.combining(rest[0])  # never a base character without its marks


@given(st.text(max_size=50))
def test_truncate_leaves_short_text_alone(text: str) -> None:
    assert truncate(text, 200) == unicodedata.normalize("NFC", text)


# -- JCC product lists -----------------------------------------------------------------------------

product_ids = st.lists(st.sampled_from(["1", "2", "5", "15", "20", "30"]), max_size=12)


@given(product_ids, st.sampled_from([",", ", ", " ,", ",,"]))
def test_product_list_counts_repeats_in_order_of_first_appearance(ids: list[str], separator: str) -> None:
    lines = product_lines(separator.join(ids))
    assert [line.product_id for line in lines] == list(dict.fromkeys(ids))
    assert {line.product_id: line.quantity for line in lines} == {i: ids.count(i) for i in ids}
    assert sum(line.quantity for line in lines) == len(ids)
