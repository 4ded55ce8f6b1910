"""The pure JCC → canonical mapping: rejects with reasons, normalisation, scope, compare view."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.jcc.parse import appointment_from_fields, incomplete
from mappings.jcc import normalise
from mappings.jcc.mapping import PERSONAL_FIELDS, compare_view, map_appointment
from mappings.jcc.records import JccAppointment
from mappings.jcc.tables import MappingTables, parse_tables
from migration.context import read_tables
from tests.unit.test_email_fast import EMAIL_CASES

NOW = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tables() -> MappingTables:
    return read_tables()


def jcc(**fields: object) -> JccAppointment:
    base: dict[str, object] = {"appointmentID": "100", "productID": "1,2,1", "locationID": "1",
                               "appStartTime": "2027-03-01T09:00:00", "appEndTime": "2027-03-01T09:45:00",
                               "clientID": "999993653", "clientInitials": "J", "clientFirstName": "jan",
                               "clientLastNamePrefix": "Van", "clientLastName": "DIJK",
                               "clientDateOfBirth": "1980-01-28", "clientMail": " Jan@Example.NL ",
                               "clientMobile": "06-12345678", "clientLanguage": "NL"}
    base.update(fields)
    return appointment_from_fields(base)


def test_a_complete_appointment_maps_to_a_marked_canonical_one(tables: MappingTables) -> None:
    out = map_appointment(jcc(), tables, now=NOW)
    assert out.outcome == "ok" and out.reasons == ()
    a = out.appointment
    assert a is not None
    assert a.external_id == "jcc:100" and a.migrated is True and a.status.value == "booked"
    assert [(p.code, p.quantity) for p in a.products] == [("PASPOORT-AANVRAAG", 2), ("ID-KAART-AANVRAAG", 1)]
    assert a.location.id == "LOC-KONINGSPLEIN"
    assert a.start.isoformat() == "2027-03-01T09:00:00+01:00"
    c = a.customer
    assert c is not None
    assert (c.bsn, c.first_name, c.last_name_prefix, c.last_name) == ("999993653", "Jan", "van", "Dijk")
    assert (c.email, c.phone, c.language, c.initials) == ("jan@example.nl", "+31612345678", "nl", "J.")


@pytest.mark.parametrize(("fields", "code"), [
    ({"productID": "1,15"}, "unmapped-product: JCC product 15"),
    ({"locationID": "9"}, "unmapped-location: JCC location 9"),
    ({"employeeID": "MW99"}, "unmapped-employee: JCC employee MW99"),
    ({"clientID": "123456789"}, "invalid-bsn"),
    ({"appEndTime": "2027-03-01T08:00:00"}, "invalid-time: appEndTime is not after appStartTime"),
    ({"appStartTime": "2027-03-28T02:30:00"}, "invalid-time: appStartTime falls in the DST gap"),
    ({"productID": ""}, "no-products"),
])
def test_what_cannot_be_mapped_is_rejected_with_the_reason(tables: MappingTables, fields: dict[str, object],
                                                           code: str) -> None:
    out = map_appointment(jcc(**fields), tables, now=NOW)
    assert out.outcome == "rejected" and out.appointment is None
    assert any(r.startswith(code) for r in out.reasons), out.reasons
    assert not any("999993653" in r for r in out.reasons)


def test_empty_details_are_rejected_not_dropped(tables: MappingTables) -> None:
    out = map_appointment(incomplete("55", "1"), tables, now=NOW)
    assert out.outcome == "rejected" and out.reasons[0].startswith("details-missing")


def test_invalid_contact_data_is_left_out_with_a_warning(tables: MappingTables) -> None:
    out = map_appointment(jcc(clientMail="jan@", clientMobile="06123456789"), tables, now=NOW)
    assert out.outcome == "ok" and out.appointment is not None and out.appointment.customer is not None
    assert out.appointment.customer.email is None and out.appointment.customer.phone is None
    assert len(out.warnings) == 2


def test_no_identifying_data_gives_an_anonymous_customer(tables: MappingTables) -> None:
    out = map_appointment(jcc(clientID="", clientInitials="", clientFirstName="", clientLastName="",
                              clientLastNamePrefix="", clientDateOfBirth="0001-01-01", clientMail="",
                              clientMobile="", clientLanguage=""), tables, now=NOW)
    assert out.appointment is not None and out.appointment.is_anonymous


def test_a_bsn_that_lost_its_leading_zero_is_padded(tables: MappingTables) -> None:
    assert normalise.bsn("12345672") == ("012345672", True)
    out = map_appointment(jcc(clientID="12345672"), tables, now=NOW)
    assert out.appointment is not None and out.appointment.customer is not None
    assert out.appointment.customer.bsn == "012345672"


def test_scope_future_skips_history_and_all_keeps_the_archive_period(tables: MappingTables) -> None:
    past = jcc(appStartTime="2027-01-10T09:00:00", appEndTime="2027-01-10T09:15:00")
    assert map_appointment(past, tables, now=NOW, scope="future").outcome == "out-of-scope"
    kept = map_appointment(past, tables, now=NOW, scope="all")
    assert kept.outcome == "ok" and kept.appointment is not None and kept.appointment.status.value == "completed"
    assert map_appointment(past, tables, now=NOW, scope="all", archive_days=5).outcome == "out-of-scope"


def test_compare_view_is_instant_based_and_lists_products_with_quantities(tables: MappingTables) -> None:
    a = map_appointment(jcc(), tables, now=NOW).appointment
    assert a is not None
    view = compare_view(a)
    assert view["start"] == "2027-03-01T08:00:00+00:00" and view["durationMinutes"] == "45"
    assert view["products"] == "ID-KAART-AANVRAAG*1;PASPOORT-AANVRAAG*2"
    assert {k for k in view if k.startswith("customer.")} == set(PERSONAL_FIELDS)


def test_tables_refuse_duplicates_missing_columns_and_rows_without_jcc_identity() -> None:
    locations = "jcc_location_id,jcc_description,register_location_id\n"
    with pytest.raises(ValueError, match="appears twice"):
        parse_tables({"products.csv": "jcc_product_id,jcc_code,jcc_description,register_code\n1,A,,X\n1,B,,Y\n",
                      "locations.csv": locations})
    with pytest.raises(ValueError, match="missing column"):
        parse_tables({"products.csv": "id,code\n", "locations.csv": locations})
    with pytest.raises(ValueError, match=r"missing column.*jcc_code"):  # the old tables without JCC's identity
        parse_tables({"products.csv": "jcc_product_id,register_code\n1,A\n", "locations.csv": locations})
    with pytest.raises(ValueError, match="line 2: JCC 1 needs jcc_code and/or jcc_description"):
        parse_tables({"products.csv": "jcc_product_id,jcc_code,jcc_description,register_code\n1,,,X\n",
                      "locations.csv": locations})


def test_empty_targets_parse_and_are_named() -> None:
    products = "jcc_product_id,jcc_code,jcc_description,register_code\n1,PASAAN,Paspoort,\n"
    tables = parse_tables({"products.csv": products,
                           "locations.csv": "jcc_location_id,jcc_description,register_location_id\n4,Milieustraat,X\n"})
    assert tables.products == {} and tables.locations["4"].register_id == "X"
    assert [str(e) for e in tables.empty_targets] == [
        "products.csv line 2: JCC 1 (PASAAN Paspoort) has no register target"]


def test_normalisers() -> None:
    assert normalise.initials("John") == ("J.", "John")
    assert normalise.initials("j p") == ("J.P.", None)
    assert normalise.phone("+31 (0)6 1234 5678") == "+31612345678"
    assert normalise.phone("0031131234567") == "+31131234567"
    assert normalise.name("JANSEN-DE VRIES") == "Jansen-De Vries" and normalise.name("van Dijk") == "van Dijk"
    assert normalise.email("no-at-sign") is None
    assert date(2027, 1, 1)  # keeps the import honest



@pytest.mark.parametrize("address", EMAIL_CASES)
def test_the_fast_email_check_agrees_with_email_validator(address: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    try:
        expected: str | None = validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    assert normalise.email(address) == expected
