"""JCC G-Plan REST and Qmatic ↔ canonical: wall-clock times on both DST days, quantities, several customers."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.jcc_rest import models as jcc
from connectors.qmatic import models as qm
from hub.model import Appointment
from mappings import jcc_rest, qmatic
from mappings.local_time import AMSTERDAM, LocalTimeError, from_wall_clock, to_wall_clock, wall_clock_text
from mappings.vendor_mapping import MappingError

ROOT = Path(__file__).resolve().parents[2] / "contract_tests"


def fixture(vendor: str, name: str) -> Any:
    return json.loads((ROOT / vendor / "fixtures" / f"{name}.json").read_text(encoding="utf-8"))


def canonical(**changes: Any) -> Appointment:
    base: dict[str, Any] = {
        "id": "A-1", "version": 3, "status": "booked", "start": "2027-03-01T09:00:00+01:00",
        "end": "2027-03-01T09:15:00+01:00", "location": {"id": "loc-1", "name": "Koningsplein"},
        "products": [{"code": "pas", "name": "Paspoort", "quantity": 1}],
        "customer": {"bsn": "999993653", "firstName": "Jan", "lastNamePrefix": "van", "lastName": "Dijk",
                     "birthDate": "1980-01-28", "email": "jan@example.nl", "phone": "0612345678"}}
    return Appointment.model_validate({**base, **changes})


# -- wall-clock time -------------------------------------------------------------------------------

@pytest.mark.parametrize(("naive", "expected"), [
    ("2027-03-28T01:30:00", "2027-03-28T01:30:00+01:00"),  # before the spring gap
    ("2027-03-28T03:30:00", "2027-03-28T03:30:00+02:00"),  # after it
    ("2027-10-31T01:30:00", "2027-10-31T01:30:00+02:00"),  # before the autumn overlap
    ("2027-10-31T02:30:00", "2027-10-31T02:30:00+02:00"),  # the overlap: its first pass (summer time)
    ("2027-10-31T03:30:00", "2027-10-31T03:30:00+01:00"),  # after it
])
def test_wall_clock_times_read_with_amsterdams_rules_on_both_dst_days(naive: str, expected: str) -> None:
    assert from_wall_clock(datetime.fromisoformat(naive)).isoformat() == expected


def test_a_time_in_the_spring_gap_does_not_exist() -> None:
    with pytest.raises(LocalTimeError, match="does not exist"):
        from_wall_clock(datetime(2027, 3, 28, 2, 30))


def test_the_second_pass_of_the_autumn_hour_is_refused_rather_than_shifted() -> None:
    first, second = datetime.fromisoformat("2027-10-31T02:30:00+02:00"), datetime.fromisoformat(
        "2027-10-31T02:30:00+01:00")
    assert wall_clock_text(first) == "2027-10-31T02:30:00"
    with pytest.raises(LocalTimeError, match="second pass"):
        to_wall_clock(second)


@pytest.mark.parametrize("aware", ["2027-03-28T07:00:00+00:00", "2027-10-31T08:00:00+00:00",
                                   "2027-07-01T07:00:00Z", "2027-01-15T08:00:00+00:00"])
def test_wall_clock_round_trip(aware: str) -> None:
    instant = datetime.fromisoformat(aware)
    assert from_wall_clock(to_wall_clock(instant)) == instant


# -- JCC G-Plan REST -------------------------------------------------------------------------------

def test_jcc_appointment_with_amounts_and_several_customers() -> None:
    a = jcc_rest.appointment_from_jcc(jcc.Appointment.model_validate(fixture("jcc_rest", "appointment")))
    assert a.id == "5bdfc8fb-eba8-4050-9b8c-28e79f65e436"
    assert a.start.isoformat() == "2027-03-01T09:00:00+01:00" and a.end.isoformat() == "2027-03-01T09:40:00+01:00"
    assert [(p.code, p.name, p.quantity) for p in a.products] == [
        ("6063baab-b077-4eaf-8671-98394793724c", "Paspoort aanvragen", 2),
        ("2e656741-db4d-4c75-ae57-97fda6ce5ce8", "Identiteitskaart aanvragen", 1)]
    assert a.group_size == 2
    assert a.customer is not None and a.customer.first_name == "Jan"  # the main customer, not the first listed
    assert a.customer.bsn == "999993653" and a.customer.phone == "0612345678"
    assert a.customer.birth_date is not None and a.customer.birth_date.isoformat() == "1980-01-28"
    assert a.location.name == "Stadswinkel Koningsplein" and a.status == "booked"


def test_jcc_summer_time_and_the_old_acitivitylist_spelling() -> None:
    raw = fixture("jcc_rest", "appointment")
    raw["acitivityList"] = raw.pop("activityList")
    raw.update(startDateTime="2027-07-01T09:00:00", endDateTime="2027-07-01T09:20:00")
    a = jcc_rest.appointment_from_jcc(jcc.Appointment.model_validate(raw))
    assert a.start.isoformat() == "2027-07-01T09:00:00+02:00" and len(a.products) == 2


def test_jcc_create_body_has_wall_clock_times_amounts_and_the_group() -> None:
    a = canonical(start="2027-07-01T07:00:00Z", end="2027-07-01T07:30:00Z", groupSize=3,
                  products=[{"code": "pas", "quantity": 2}, {"code": "id", "quantity": 1}], notes="rolstoel")
    body = jcc_rest.new_appointment_to_jcc(a).body()
    assert body["fromDateTime"] == "2027-07-01T09:00:00" and body["toDateTime"] == "2027-07-01T09:30:00"
    assert body["activityList"] == [{"activityId": "pas", "amount": 2}, {"activityId": "id", "amount": 1}]
    customers = body["customerList"]
    assert isinstance(customers, list) and len(customers) == 3
    assert customers[0] == {"id": None, "isMainCustomer": True, "gender": 0, "firstName": "Jan",
                            "lastNamePrefix": "van", "lastName": "Dijk", "birthDate": "1980-01-28",
                            "emailAddress": "jan@example.nl", "phoneNumber": "0612345678",
                            "socialSecurityNumber": "999993653"}
    assert customers[1] == {"id": None, "isMainCustomer": False, "gender": 0}  # no personal data for the others
    assert body["id"] is None and body["fieldList"] is None and body["message"] == "rolstoel"


def test_jcc_create_refuses_what_jcc_cannot_hold() -> None:
    with pytest.raises(MappingError, match="second pass"):
        jcc_rest.new_appointment_to_jcc(canonical(start="2027-10-31T02:30:00+01:00", end="2027-10-31T02:45:00+01:00"))
    with pytest.raises(MappingError, match="activity"):
        jcc_rest.new_appointment_to_jcc(canonical(products=[]))


def test_jcc_value_that_does_not_fit_names_the_jcc_field() -> None:
    raw = fixture("jcc_rest", "appointment")
    raw["customerList"][1]["socialSecurityNumber"] = "123456789"  # fails the 11-proef
    with pytest.raises(MappingError) as caught:
        jcc_rest.appointment_from_jcc(jcc.Appointment.model_validate(raw))
    assert caught.value.field == "customerList[main].socialSecurityNumber"
    assert "123456789" not in str(caught.value)


def test_jcc_catalogue() -> None:
    locations = [jcc_rest.location_from_jcc(jcc.Location.model_validate(x)) for x in fixture("jcc_rest", "locations")]
    assert locations[0].address == "Koningsplein 1, 5038 WG, Tilburg" and locations[1].address is None
    product = jcc_rest.product_from_jcc(jcc.Activity.model_validate(fixture("jcc_rest", "activities")[0]))
    assert (product.code, product.duration_minutes) == ("6063baab-b077-4eaf-8671-98394793724c", 15)


def test_jcc_anonymous_main_customer() -> None:
    raw = fixture("jcc_rest", "appointment")
    raw["customerList"] = [{"isMainCustomer": True, "gender": 0}]
    a = jcc_rest.appointment_from_jcc(jcc.Appointment.model_validate(raw))
    assert a.is_anonymous and a.group_size == 1


# -- Qmatic ----------------------------------------------------------------------------------------

def test_qmatic_appointment_every_service_for_every_customer() -> None:
    a = qmatic.appointment_from_qmatic(qm.AppointmentEnvelope.model_validate(fixture("qmatic", "appointment"))
                                       .appointment)
    assert a.id == "d50517a0ae88cdbc495f7a32e011cb8a4f"  # a long public id, kept as text
    assert a.start.isoformat() == "2027-03-01T09:00:00+01:00" and a.end.isoformat() == "2027-03-01T09:20:00+01:00"
    assert a.group_size == 2 and [p.quantity for p in a.products] == [2, 2]
    assert a.customer is not None and a.customer.last_name == "van Dijk"
    assert a.customer.birth_date is not None and a.customer.birth_date.isoformat() == "1980-01-28"  # epoch millis
    assert a.customer.bsn is None  # identificationNumber is not a BSN


def test_qmatic_compact_utc_offset_and_branch_time_zone() -> None:
    raw = fixture("qmatic", "book")
    assert raw["start"].endswith("+0000")
    a = qmatic.appointment_from_qmatic(qm.Appointment.model_validate(raw))
    assert a.start.isoformat() == "2027-03-01T09:00:00+01:00"
    raw["branch"]["timeZone"] = "Europe/London"
    london = qmatic.appointment_from_qmatic(qm.Appointment.model_validate(raw))
    assert london.start.isoformat() == "2027-03-01T08:00:00+00:00" and london.start == a.start


def test_qmatic_unknown_status_or_zone_is_named() -> None:
    raw = fixture("qmatic", "book")
    with pytest.raises(MappingError) as caught:
        qmatic.appointment_from_qmatic(qm.Appointment.model_validate({**raw, "status": 99}))
    assert caught.value.field == "status"
    raw["branch"]["timeZone"] = "Mars/Olympus"
    with pytest.raises(MappingError) as zone:
        qmatic.appointment_from_qmatic(qm.Appointment.model_validate(raw))
    assert zone.value.field == "branch.timeZone"


def test_qmatic_booking_customers_services_and_slot() -> None:
    a = canonical(start="2027-07-01T07:00:00Z", end="2027-07-01T07:30:00Z",
                  products=[{"code": "pas", "quantity": 1}, {"code": "id", "quantity": 3}, {"code": "pas"}])
    body = qmatic.booking_to_qmatic(a, "afsprakenhub").body()
    assert body["services"] == [{"publicId": "pas"}, {"publicId": "id"}]
    customers = body["customers"]
    assert isinstance(customers, list) and len(customers) == 3
    assert customers[0] == {"firstName": "Jan", "lastName": "van Dijk", "email": "jan@example.nl",
                            "phone": "0612345678", "dateOfBirth": "1980-01-28"}
    assert customers[1] == {"firstName": "Jan", "lastName": "van Dijk"}
    slot = qmatic.booking_slot(a, AMSTERDAM)
    assert (slot.date().isoformat(), slot.strftime("%H:%M")) == ("2027-07-01", "09:00")
    assert qmatic.booking_slot(a, ZoneInfo("Europe/London")).strftime("%H:%M") == "08:00"


def test_qmatic_group_decides_the_number_of_customers() -> None:
    a = canonical(groupSize=4)
    assert len(qmatic.booking_to_qmatic(a, "t").customers) == 4
    anonymous = canonical(customer=None, groupSize=1)
    assert qmatic.booking_to_qmatic(anonymous, "t").body()["customers"] == [{}]
