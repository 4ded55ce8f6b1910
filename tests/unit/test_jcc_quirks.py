"""JCC vendor quirks resolved in the connector: local times (DST), product lists, blanks, empty answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from connectors.jcc.parse import appointment_from_fields, incomplete
from connectors.jcc.quirks import NonexistentLocalTime, amsterdam_time, birth_date, blank_to_none, product_lines
from mappings.jcc.records import ProductLine


def test_repeated_product_id_is_a_quantity_in_order_of_first_appearance() -> None:
    assert product_lines("1,2,1") == (ProductLine(product_id="1", quantity=2), ProductLine(product_id="2", quantity=1))
    assert product_lines(" 5 , ,5,5") == (ProductLine(product_id="5", quantity=3),)
    assert product_lines("") == () and product_lines(None) == ()


def test_local_times_get_the_amsterdam_offset_of_that_day() -> None:
    winter = amsterdam_time(datetime(2027, 1, 12, 9, 0))
    summer = amsterdam_time(datetime(2027, 6, 12, 9, 0))
    assert winter.utcoffset() == timedelta(hours=1)
    assert summer.utcoffset() == timedelta(hours=2)


def test_dst_days_spring_forward_and_fall_back() -> None:
    spring = amsterdam_time(datetime(2027, 3, 28, 10, 0))  # clocks went forward at 02:00
    autumn = amsterdam_time(datetime(2027, 10, 31, 10, 0))  # clocks went back at 03:00
    assert spring.utcoffset() == timedelta(hours=2)
    assert autumn.utcoffset() == timedelta(hours=1)
    ambiguous = amsterdam_time(datetime(2027, 10, 31, 2, 30))
    assert ambiguous.utcoffset() == timedelta(hours=2)  # the first (summer-time) 02:30
    with pytest.raises(NonexistentLocalTime):
        amsterdam_time(datetime(2027, 3, 28, 2, 30))


def test_times_that_carry_an_offset_are_kept() -> None:
    moment = datetime.fromisoformat("2027-03-01T09:00:00+00:00")
    assert amsterdam_time(moment) == moment


def test_blank_and_unknown_values_become_none() -> None:
    assert blank_to_none("  ") is None and blank_to_none(" x ") == "x"
    assert birth_date("0001-01-01") is None and birth_date(date(1, 1, 1)) is None and birth_date("") is None
    assert birth_date("1980-01-28") == date(1980, 1, 28)


def test_fields_with_missing_optional_client_data_parse() -> None:
    rec = appointment_from_fields({"appointmentID": "7", "productID": "1,2,1", "locationID": "1",
                                   "appStartTime": datetime(2027, 3, 28, 10, 0),
                                   "appEndTime": datetime(2027, 3, 28, 10, 30), "clientDateOfBirth": date(1, 1, 1),
                                   "clientMail": "", "clientTel": None})
    assert rec.app_id == "7" and rec.client_mail is None and rec.client_birth_date is None
    assert rec.start is not None and rec.start.utcoffset() == timedelta(hours=2)
    assert [p.quantity for p in rec.products] == [2, 1]
    assert rec.problems == ()


def test_a_time_in_the_dst_gap_is_a_named_problem_not_a_crash() -> None:
    rec = appointment_from_fields({"appointmentID": "8", "appStartTime": "2027-03-28T02:30:00",
                                   "appEndTime": "2027-03-28T02:45:00"})
    assert rec.start is None and rec.problems == ("appStartTime falls in the DST gap",
                                                  "appEndTime falls in the DST gap")


def test_empty_details_give_an_incomplete_record() -> None:
    rec = incomplete("9", "1")
    assert not rec.complete and rec.problems
