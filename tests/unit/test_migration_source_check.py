"""The independent source-vs-register comparison and the catalogue check, on hand-made values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from migration import catalogue, source_check
from migration.catalogue import Catalogues, Entry
from migration.context import read_tables
from migration.source_check import (
    Crosswalk,
    bsn_of,
    compare,
    email_of,
    initials_of,
    phone_of,
    wall_clock_of_jcc,
    wall_clock_of_register,
)

RAW = {"appointmentID": "100", "productID": "1,2,1", "locationID": "1", "appStartTime": "2027-03-28 10:00:00",
       "appEndTime": "2027-03-28T10:45:00", "clientID": "999993653", "clientInitials": "J",
       "clientFirstName": "jan", "clientLastNamePrefix": "Van", "clientLastName": "DIJK",
       "clientDateOfBirth": "1980-01-28", "clientMail": " Jan@Example.NL ", "clientMobile": "06-12345678",
       "clientLanguage": "NL", "caseID": "ZAAK-1", "appointmentDescription": "twee  paspoorten"}
REGISTER = {"start": "2027-03-28T08:00:00Z", "end": "2027-03-28T10:45:00+02:00",
            "location": {"id": "LOC-KONINGSPLEIN"},
            "products": [{"code": "PASPOORT-AANVRAAG", "quantity": 2}, {"code": "ID-KAART-AANVRAAG", "quantity": 1}],
            "customer": {"bsn": "999993653", "initials": "J.", "firstName": "Jan", "lastNamePrefix": "van",
                         "lastName": "Dijk", "birthDate": "1980-01-28", "email": "jan@example.nl",
                         "phone": "+31612345678", "language": "nl"},
            "caseReference": "ZAAK-1", "notes": "twee paspoorten"}


def sandbox_catalogues() -> Catalogues:
    cats = Catalogues()
    cats.jcc["product"] = {"1": Entry("1", "PASAAN", "Paspoort aanvraag"),
                           "2": Entry("2", "IDAAN", "ID-kaart aanvraag")}
    cats.jcc["location"] = {"1": Entry("1", None, "Stadswinkel Koningsplein")}
    cats.register["product"] = {"PASPOORT-AANVRAAG": Entry("PASPOORT-AANVRAAG", None, "Paspoort aanvragen"),
                                "ID-KAART-AANVRAAG": Entry("ID-KAART-AANVRAAG", None, "ID-kaart aanvragen")}
    cats.register["location"] = {"LOC-KONINGSPLEIN": Entry("LOC-KONINGSPLEIN", None, "Stadswinkel Koningsplein"),
                                 "LOC-ZVH": Entry("LOC-ZVH", None, "Zorg- en Veiligheidshuis")}
    return cats


def test_what_jcc_held_and_what_the_register_holds_agree_field_by_field() -> None:
    assert compare(RAW, REGISTER, Crosswalk.build(read_tables(), sandbox_catalogues())) == []


def test_each_difference_names_the_field_and_both_values() -> None:
    walk = Crosswalk.build(read_tables(), sandbox_catalogues())
    late = {**REGISTER, "start": "2027-03-28T09:00:00Z", "location": {"id": "LOC-ZVH"},
            "products": [{"code": "PASPOORT-AANVRAAG", "quantity": 1}, {"code": "ID-KAART-AANVRAAG", "quantity": 2}],
            "customer": {**REGISTER["customer"], "email": None}}  # type: ignore[dict-item]
    diffs = {field: (jcc, reg) for field, jcc, reg in compare(RAW, late, walk)}
    assert diffs["start"] == ("2027-03-28 10:00", "2027-03-28 11:00")  # summer time: +02:00
    assert diffs["location"] == ("JCC 1 'Stadswinkel Koningsplein' -> LOC-KONINGSPLEIN 'Stadswinkel Koningsplein'",
                                 "LOC-ZVH 'Zorg- en Veiligheidshuis'")
    assert diffs["products"] == (
        "PASAAN 'Paspoort aanvraag' x2; IDAAN 'ID-kaart aanvraag' x1 -> "
        "ID-KAART-AANVRAAG 'ID-kaart aanvragen' x1; PASPOORT-AANVRAAG 'Paspoort aanvragen' x2",
        "ID-KAART-AANVRAAG 'ID-kaart aanvragen' x2; PASPOORT-AANVRAAG 'Paspoort aanvragen' x1")
    assert diffs["customer.email"] == ("jan@example.nl", "")
    assert set(diffs) == {"start", "location", "products", "customer.email"}


def test_normalisers_of_the_comparison() -> None:
    assert wall_clock_of_jcc("2027-10-31T02:30:00") == "2027-10-31 02:30"
    assert wall_clock_of_register("2027-10-31T01:30:00+00:00") == "2027-10-31 02:30"  # autumn: second 02:30
    assert wall_clock_of_register("2027-03-28T10:00:00") == "2027-03-28 10:00 (no offset)"
    assert bsn_of("99993653", pad=True) == "" and bsn_of("12345678", pad=True) == ""
    assert bsn_of("999993653", pad=False) == "999993653" and bsn_of("A123", pad=True) == ""
    assert phone_of("+31 (0)6 1234 5678") == phone_of("0031612345678") == phone_of("06-12345678") == "+31612345678"
    assert phone_of("+32 470 12 34 56") == "+32470123456" and phone_of("12345") == ""
    assert email_of("no-at-sign") == "" and email_of(" A@B.NL ") == "a@b.nl"
    assert initials_of("John") == "j" and initials_of("J.P.") == initials_of("j p") == initials_of("JP") == "jp"


def test_catalogue_check_names_the_row_the_tables_value_and_the_catalogues() -> None:
    cats = sandbox_catalogues()
    cats.jcc["product"]["1"] = Entry("1", "IDAAN", "ID-kaart aanvraag")
    found = catalogue.check(read_tables(), cats)
    assert found.problems["product"]["1"] == ["products.csv line 2 (JCC product 1): the table says PASAAN "
                                              "'Paspoort aanvraag', JCC says IDAAN 'ID-kaart aanvraag'"]
    assert found.problems["product"]["5"] == [
        "products.csv line 4 (JCC product 5): the table says RIJAAN 'Rijbewijs aanvraag', JCC says it has no "
        "product 5",
        "products.csv line 4 (JCC product 5): the table maps it to RIJBEWIJS-AANVRAAG, the register has no product "
        "RIJBEWIJS-AANVRAAG"]
    assert "1" not in found.problems["location"]
    cats.partial.add("product")  # known only from an export's rows: a missing id is no evidence
    assert "5" not in {k for k, v in catalogue.check(read_tables(), cats).problems["product"].items()
                       if any("JCC says" in t for t in v)}


def test_scope_is_judged_from_jccs_wall_clock_against_the_cutover_in_amsterdam() -> None:
    from migration.source_check import belongs_in_register

    future = {"cutover": "2027-03-20T00:00:00+01:00", "scope": "future", "archiveDays": 30}
    assert belongs_in_register({"appStartTime": "2027-03-19T23:59:00"}, future) is None
    assert belongs_in_register({"appStartTime": "2027-03-20T00:00:00"}, future) == \
        "starts 2027-03-20 00:00, on or after 2027-03-20 00:00 (future scope, cutover 2027-03-20 00:00)"
    utc = {**future, "cutover": "2027-03-19T23:00:00+00:00"}  # the same moment written in UTC
    assert belongs_in_register({"appStartTime": "2027-03-19T23:30:00"}, utc) is None
    history = {**future, "scope": "all"}
    assert belongs_in_register({"appStartTime": "2027-03-01T09:00:00"}, history) is not None
    assert belongs_in_register({"appStartTime": "2027-01-01T09:00:00"}, history) is None
    assert belongs_in_register({"appStartTime": "not a time"}, future) is None


def test_remembered_answers_still_see_each_registers_own_values() -> None:
    walk = Crosswalk.build(read_tables(), sandbox_catalogues())
    assert compare(RAW, REGISTER, walk) == []
    swapped = {**REGISTER, "products": [{"code": "PASPOORT-AANVRAAG", "quantity": 1},
                                        {"code": "ID-KAART-AANVRAAG", "quantity": 2}], "location": {"id": "LOC-ZVH"}}
    assert {d[0] for d in compare(RAW, swapped, walk)} == {"products", "location"}
    assert compare(RAW, REGISTER, walk) == []  # the same JCC values again: the first answer, remembered
    odd = {**REGISTER, "products": [{"code": "PASPOORT-AANVRAAG", "quantity": 2.0},
                                    {"code": "ID-KAART-AANVRAAG", "quantity": True}]}
    assert compare(RAW, odd, walk) == []  # JSON numbers that equal the quantities
    assert {d[0] for d in compare(RAW, {**REGISTER, "products": {"code": "X"}}, walk)} == {"products"}
    assert {d[0] for d in compare(RAW, {**REGISTER, "location": ["LOC-KONINGSPLEIN"]}, walk)} == {"location"}
    # JSON's 1 and true are equal as Python keys: each register's own value is named, not a remembered one
    held = [[d[2] for d in compare(RAW, {**REGISTER, "location": {"id": v}}, walk) if d[0] == "location"]
            for v in (1, True, 1.0)]
    assert held == [["1"], ["True"], ["1.0"]]


def test_time_texts_are_converted_once_and_other_json_values_each_on_their_own() -> None:
    from migration import source_check

    before = source_check._register_text_wall_clock.cache_info().hits
    assert wall_clock_of_register("2027-03-28T08:00:00Z") == "2027-03-28 10:00"
    assert wall_clock_of_register("2027-03-28T08:00:00Z") == "2027-03-28 10:00"
    assert source_check._register_text_wall_clock.cache_info().hits > before
    # JSON's 1 and true are equal as Python keys: a remembered answer for one must not serve the other
    assert wall_clock_of_jcc(1.0) == "(not a time: 1.0)"
    assert wall_clock_of_jcc(True) == "(not a time: True)"
    assert wall_clock_of_register(1.0) == "(not a time: 1.0)"
    assert wall_clock_of_register(True) == "(not a time: True)"


def test_initials_texts_are_read_once_and_other_json_values_each_on_their_own() -> None:
    from migration import source_check

    before = source_check._text_initials.cache_info().hits
    assert initials_of("J.P.") == initials_of("J.P.") == "jp"
    assert source_check._text_initials.cache_info().hits > before
    assert initials_of(1) == "" and initials_of(True) == "t" and initials_of(1.0) == ""  # 1 == True as keys
    assert initials_of(True) == "t" and initials_of(1) == ""


TRICKY_DIGITS = ("", "+", "+31612345678", "0612345678", "+a", "+1a", "a1", "+٣٣", "٣٣", "+²", "Ⅻ", "+Ⅻ1", "++1", "+ 1")


@given(st.one_of(st.sampled_from(TRICKY_DIGITS), st.text(), st.text(alphabet="+0123456789٣²Ⅻa -()"),
                 st.from_regex(r"\+?[0-9]{0,15}", fullmatch=True)))
def test_the_digits_fast_path_keeps_what_filtering_each_character_keeps(text: str) -> None:
    assert source_check._digits(text) == "".join(filter(str.isdigit, text))


def test_the_digits_fast_path_on_the_tricky_texts() -> None:
    for tricky in TRICKY_DIGITS:  # `+` then letters, other scripts' digits, superscripts, roman numerals
        assert source_check._digits(tricky) == "".join(filter(str.isdigit, tricky)), tricky
