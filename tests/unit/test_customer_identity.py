"""Identification levels, what they vouch for, and how a BRP answer confirms a self-declared BSN."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
from pydantic import ValidationError

from connectors.brp import FIELDS, BrpClient, BrpSettings
from hub.errors import PermanentError, TransientError
from hub.model import Customer, Identification, parse_event
from mappings.identity import BrpPerson, Trust, brp_confirms, trusted_keys
from tests.support.events import FAKE_BSN, appointment, cloudevent


def cust(**changes: object) -> Customer:
    return Customer.model_validate({**appointment()["customer"], **changes})


JAN = BrpPerson(bsn=FAKE_BSN, first_names="Jan Pieter", prefix="van", last_name="Dijk", birth_date=date(1980, 1, 28))


# -- the model -----------------------------------------------------------------------------------


def test_absent_identification_means_self_declared() -> None:
    customer = cust(identification=None)
    assert customer.identification is None and customer.identified_by == Identification.SELF_DECLARED
    assert cust(identification="verified-at-counter").identified_by == Identification.VERIFIED_AT_COUNTER


def test_an_unknown_identification_is_refused_naming_the_field() -> None:
    raw = cloudevent()
    raw["data"]["customer"]["identification"] = "sms-code"
    with pytest.raises(ValidationError) as raised:
        parse_event(raw)
    assert any(e["loc"][-1] == "identification" for e in raised.value.errors())


def test_the_wire_name_is_identification_with_the_documented_values() -> None:
    assert cust(identification="digid").wire()["identification"] == "digid"
    assert {i.value for i in Identification} == {"digid", "eherkenning", "verified-at-counter", "self-declared"}


# -- what each level vouches for -----------------------------------------------------------------


@pytest.mark.parametrize(("identification", "bsn", "kvk", "trust"), [
    ("digid", FAKE_BSN, None, Trust.AUTHENTICATED),
    ("eherkenning", None, "12345678", Trust.AUTHENTICATED),
    ("verified-at-counter", FAKE_BSN, "12345678", Trust.AUTHENTICATED),
    ("self-declared", None, None, Trust.SELF_DECLARED),
    (None, None, None, Trust.SELF_DECLARED),
])
def test_each_level_vouches_only_for_its_own_key(identification: str | None, bsn: str | None, kvk: str | None,
                                                 trust: Trust) -> None:
    keys = trusted_keys(cust(kvk="12345678", identification=identification))
    assert (keys.bsn, keys.kvk, keys.trust) == (bsn, kvk, trust)


def test_digid_without_a_bsn_proves_nothing() -> None:
    assert trusted_keys(cust(bsn=None, kvk="12345678", identification="digid")).trust == Trust.SELF_DECLARED


# -- the BRP's word ------------------------------------------------------------------------------


def test_the_brp_confirms_name_and_birth_date() -> None:
    assert brp_confirms(cust(), JAN)
    assert brp_confirms(cust(firstName=None, initials="J.P."), JAN)
    assert brp_confirms(cust(lastName="dijk", lastNamePrefix="Van", firstName="JAN"), JAN)
    assert brp_confirms(cust(lastNamePrefix=None), JAN), "a prefix left out of the form still matches"


@pytest.mark.parametrize("change", [
    {"birthDate": "1980-01-29"}, {"birthDate": None}, {"lastName": "Dijkstra"}, {"lastName": None},
    {"firstName": "Piet"}, {"firstName": None, "initials": "K."}, {"bsn": "111222333"},
])
def test_the_brp_confirms_nothing_that_differs_or_is_missing(change: dict[str, object]) -> None:
    assert not brp_confirms(cust(**change), JAN)


def test_a_brp_person_without_a_full_birth_date_confirms_nothing() -> None:
    assert not brp_confirms(cust(), JAN.model_copy(update={"birth_date": None}))


# -- the BRP client ------------------------------------------------------------------------------


def brp_client(handler: httpx.MockTransport) -> BrpClient:
    settings = BrpSettings(enabled=True, base_url="http://brp.example.nl/haalcentraal/api/brp")
    return BrpClient(settings, http=httpx.Client(transport=handler))


def test_the_request_is_raadpleeg_met_burgerservicenummer_with_purpose_binding_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"type": "RaadpleegMetBurgerservicenummer", "personen": [
            {"burgerservicenummer": FAKE_BSN, "naam": {"voornamen": "Jan Pieter", "voorvoegsel": "van",
                                                    "geslachtsnaam": "Dijk"},
             "geboorte": {"datum": {"type": "Datum", "datum": "1980-01-28", "langFormaat": "28 januari 1980"}}}]})

    person = brp_client(httpx.MockTransport(answer)).raadpleeg(FAKE_BSN)
    assert person == JAN
    [request] = seen
    assert request.method == "POST" and request.url.path == "/haalcentraal/api/brp/personen"
    assert FAKE_BSN not in str(request.url), "the BSN travels in the body, never in the URL"
    assert json.loads(request.content) == {"type": "RaadpleegMetBurgerservicenummer",
                                           "burgerservicenummer": [FAKE_BSN], "fields": list(FIELDS)}
    for header in ("x-doelbinding", "x-verwerking", "x-origin-oin", "x-gebruiker", "x-api-key"):
        assert request.headers.get(header), header


def test_an_unknown_bsn_is_none_and_a_partial_birth_date_is_no_date() -> None:
    empty = brp_client(httpx.MockTransport(lambda r: httpx.Response(200, json={
        "type": "RaadpleegMetBurgerservicenummer", "personen": []})))
    assert empty.raadpleeg(FAKE_BSN) is None
    partial = brp_client(httpx.MockTransport(lambda r: httpx.Response(200, json={
        "type": "RaadpleegMetBurgerservicenummer", "personen": [{"burgerservicenummer": FAKE_BSN, "geboorte": {
            "datum": {"type": "JaarDatum", "jaar": 1980, "langFormaat": "1980"}}}]})))
    person = partial.raadpleeg(FAKE_BSN)
    assert person is not None and person.birth_date is None


@pytest.mark.parametrize(("status", "kind"), [(503, TransientError), (429, TransientError), (500, TransientError),
                                              (400, PermanentError), (401, PermanentError), (403, PermanentError)])
def test_errors_are_classified_without_personal_data(status: int, kind: type[Exception]) -> None:
    client = brp_client(httpx.MockTransport(lambda r: httpx.Response(status, json={
        "status": status, "code": "paramsValidation", "title": "Een of meerdere parameters zijn niet correct."})))
    with pytest.raises(kind) as raised:
        client.raadpleeg(FAKE_BSN)
    assert FAKE_BSN not in str(raised.value) and str(status) in str(raised.value)


def test_a_connection_failure_is_transient_and_not_in_flight() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransientError) as raised:
        brp_client(httpx.MockTransport(fail)).raadpleeg(FAKE_BSN)
    assert not raised.value.in_flight, "a question, not a write: nothing can land later"


def test_a_decision_fits_the_link_tables_content_hash_column() -> None:
    from flows.contact_moments.identity import person_fingerprint
    from hub.store.tables import Link

    width = Link.__table__.c.content_hash.type.length  # type: ignore[attr-defined]
    longest = max(len(t.value) for t in Trust) + 1 + len(person_fingerprint(cust()))
    assert longest <= width, "PostgreSQL refuses a longer value (SQLite would not notice)"


def test_the_openapi_document_names_the_levels() -> None:
    """The events endpoint's request schema is the model's JSON schema (hub/api/app.py)."""
    from hub.model import AppointmentEvent

    schema = json.dumps(AppointmentEvent.model_json_schema(by_alias=True))
    assert '"identification"' in schema and "Absent or null means self-declared" in schema
    for level in ("digid", "eherkenning", "verified-at-counter", "self-declared"):
        assert f'"{level}"' in schema
