"""The Salesforce mapping table and its pure translations, and the connector's error classification."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.salesforce.errors import error_for_api_errors, parse_error_body
from connectors.salesforce.models import Subrequest, SubResult, ref_first_record_id
from hub.errors import PermanentError, TransientError
from hub.model import Appointment, Customer
from mappings.identity import Trust, TrustedKeys, trusted_keys
from mappings.salesforce import (
    DEFAULT_MAPPING,
    SalesforceMapping,
    channel_value,
    customer_queries,
    identity_fingerprint,
    load_mapping,
    moment_fields,
    moments_for,
    new_account_fields,
    required_fields,
    soql_literal,
    truncate,
)
from tests.support.events import appointment

MAPPING = load_mapping()


def cust(**changes: object) -> Customer:
    base = appointment()["customer"]
    return Customer.model_validate({**base, **changes})


def test_the_packaged_mapping_loads_with_the_issue_defaults() -> None:
    assert MAPPING.account.object == "Account" and MAPPING.account.bsn_field == "BSN__c"
    assert MAPPING.contact_moment.external_id_field == "Extern_Id__c"
    assert MAPPING.customer.match == ["name_birth_date_email"] and MAPPING.customer.on_no_match == "create"
    assert MAPPING.customer.review.mode == "task"
    assert MAPPING.migrated.booked is False


def test_an_unknown_key_in_the_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text(DEFAULT_MAPPING.read_text().replace("bsn_field:", "bsn_feild:"))
    with pytest.raises(ValueError, match="bsn_feild"):
        load_mapping(bad)


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("kort", 10, "kort"),
    ("abcdefghij", 5, "abcd…"),
    ("caf\u0065\u0301 au lait", 5, "café…"),  # NFC first: é is one character
    ("ab\U0001F600cd", 4, "ab…"),  # the emoji is 2 Salesforce characters: it does not fit
    ("a\u0301\u0302\u0303bc", 3, "…"),  # a with three marks stays whole or goes
    ("xy\U0001F469\u200d\U0001F4BBz", 5, "xy…"),  # a ZWJ sequence is one cluster
])
def test_truncate_never_breaks_a_character(text: str, limit: int, expected: str) -> None:
    out = truncate(text, limit)
    assert out == expected
    assert out is not None and len(out.encode("utf-16-le")) // 2 <= limit


def test_channels_map_from_the_canonical_channel() -> None:
    assert channel_value(MAPPING, "web") == "Website" and channel_value(MAPPING, "ONLINE") == "Website"
    assert channel_value(MAPPING, "phone") == "Telefoon" and channel_value(MAPPING, "counter") == "Balie"
    assert channel_value(MAPPING, None) == "Overig" and channel_value(MAPPING, "fax") == "Overig"


def test_moment_fields_use_the_configured_names_and_lengths() -> None:
    mapping = MAPPING.model_copy(update={"lengths": MAPPING.lengths.model_copy(update={"subject": 10})})
    a = Appointment.model_validate(appointment(status="checked_in"))
    fields = moment_fields(mapping, moments_for(a, "checked_in")[1])
    assert fields == {"Kanaal__c": "Website", "Soort__c": "Bezoek", "Onderwerp__c": "Bezoek: P…",
                      "Starttijd__c": "2027-03-01T08:00:00.000Z", "Locatie__c": "Stadswinkel Koningsplein",
                      "Afdeling__c": "dienstverlening", "Afspraak_Id__c": "A-1001", "Status__c": "Aangemeld"}


def test_soql_literals_are_escaped() -> None:
    assert soql_literal("o'Brien\\x") == "'o\\'Brien\\\\x'"
    assert soql_literal(date(1980, 1, 28)) == "1980-01-28" and soql_literal(None) == "null"


def test_a_verified_bsn_first_then_the_policy_rules_the_data_allows() -> None:
    queries = customer_queries(MAPPING, cust(), trusted_keys(cust()))
    assert [(q.rule, q.key) for q in queries] == [("bsn", True), ("name_birth_date_email", False)]
    assert queries[0].soql == "SELECT Id FROM Account WHERE BSN__c = '999993653' LIMIT 1"
    assert queries[1].soql == ("SELECT Id FROM Account WHERE LastName = 'van Dijk' AND PersonBirthdate = 1980-01-28"
                               " AND PersonEmail = 'jan@example.nl' LIMIT 2")
    business = cust(bsn=None, kvk="12345678", identification="eherkenning")
    assert [q.rule for q in customer_queries(MAPPING, business, trusted_keys(business))] == \
        ["kvk", "name_birth_date_email"]
    no_email = cust(bsn=None, email=None)
    assert customer_queries(MAPPING, no_email, trusted_keys(no_email)) == []
    phone = MAPPING.model_copy(update={"customer": MAPPING.customer.model_copy(update={"match": ["phone_birth_date"]})})
    assert [q.rule for q in customer_queries(phone, cust(bsn=None), trusted_keys(cust(bsn=None)))] == \
        ["phone_birth_date"]
    fields = MAPPING.model_copy(update={"customer": MAPPING.customer.model_copy(
        update={"match": [["first_name", "last_name", "birth_date"]]})})
    [query] = customer_queries(fields, cust(bsn=None), trusted_keys(cust(bsn=None)))
    assert query.rule == "first_name+last_name+birth_date" and "FirstName = 'Jan'" in query.soql


@pytest.mark.parametrize("identification", [None, "self-declared"])
def test_an_unverified_bsn_or_kvk_is_never_queried(identification: str | None) -> None:
    customer = cust(kvk="12345678", identification=identification)
    queries = customer_queries(MAPPING, customer, trusted_keys(customer))
    assert [q.rule for q in queries] == ["name_birth_date_email"]
    assert all("999993653" not in q.soql and "12345678" not in q.soql for q in queries)


def test_new_accounts_are_verified_person_or_business_accounts_and_never_for_an_unverified_key() -> None:
    person = new_account_fields(MAPPING, cust(), trusted_keys(cust()))
    assert person is not None and person["Klant_Geverifieerd__c"] is True and person["BSN__c"] == "999993653"
    assert person["LastName"] == "van Dijk" and person["PersonBirthdate"] == "1980-01-28"
    eh = cust(bsn=None, kvk="12345678", identification="eherkenning")
    business = new_account_fields(MAPPING, eh, trusted_keys(eh))
    assert business == {"Klant_Geverifieerd__c": True, "Name": "Jan van Dijk", "KvK_Nummer__c": "12345678"}
    self_declared = cust(identification="self-declared")
    assert new_account_fields(MAPPING, self_declared, trusted_keys(self_declared)) is None
    assert new_account_fields(MAPPING, cust(), TrustedKeys(trust=Trust.SELF_DECLARED, bsn="999993653")) is None


def test_identity_fingerprint_is_stable_and_holds_no_personal_data() -> None:
    fp = identity_fingerprint(cust())
    assert fp == identity_fingerprint(cust()) and fp != identity_fingerprint(cust(bsn="111222333"))
    assert fp is not None and "999993653" not in fp
    assert identity_fingerprint(None) is None and identity_fingerprint(cust(anonymous=True)) is None


def test_required_fields_name_every_mapped_field_and_the_external_id() -> None:
    reqs = required_fields(SalesforceMapping())
    ext = [r for r in reqs if r.external_id]
    # the contact moment's external id, and the account's BSN and KvK (the account is upserted by them)
    assert [(r.sobject, r.field) for r in ext] == [("Contactmoment__c", "Extern_Id__c"), ("Account", "BSN__c"),
                                                    ("Account", "KvK_Nummer__c")]
    anonymous = SalesforceMapping.model_validate({"customer": {"on_no_match": "anonymous"}})
    assert [r.field for r in required_fields(anonymous) if r.external_id] == ["Extern_Id__c"]
    assert {r.field for r in reqs} >= {"Klant__c", "Status__c", "BSN__c", "KvK_Nummer__c", "Klant_Geverifieerd__c",
                                       "LastName"}
    assert {(r.sobject, r.field) for r in reqs} >= {("Task", "Subject"), ("Task", "WhatId")}


@pytest.mark.parametrize(("code", "status", "transient"), [
    ("REQUEST_LIMIT_EXCEEDED", 403, True), ("UNABLE_TO_LOCK_ROW", 400, True), ("SERVER_UNAVAILABLE", 503, True),
    ("INVALID_FIELD", 400, False), ("REQUIRED_FIELD_MISSING", 400, False), ("DUPLICATE_VALUE", 400, False),
])
def test_error_codes_are_classified(code: str, status: int, transient: bool) -> None:
    body = [{"errorCode": code, "message": "duplicate value 999993653 jan@example.nl", "fields": ["BSN__c"]}]
    error = error_for_api_errors("composite", status, parse_error_body(body), limit_retry_after=900)
    assert isinstance(error, TransientError if transient else PermanentError)
    assert code in error.reason and "BSN__c" in error.reason
    assert "999993653" not in error.reason and "example.nl" not in error.reason
    if code == "REQUEST_LIMIT_EXCEEDED":
        assert isinstance(error, TransientError) and error.retry_after == 900


def test_a_bare_503_is_transient_and_halted_is_never_the_cause() -> None:
    assert isinstance(error_for_api_errors("composite", 503, []), TransientError)
    halted = parse_error_body([{"errorCode": "PROCESSING_HALTED", "message": "rolled back"},
                               {"errorCode": "INVALID_FIELD", "message": "x", "fields": ["Foo__c"]}])
    error = error_for_api_errors("composite", 400, halted)
    assert "INVALID_FIELD (Foo__c)" in error.reason and "PROCESSING_HALTED" not in error.reason


def test_subrequest_builders_and_results() -> None:
    upsert = Subrequest.upsert("cm", "Contactmoment__c", "Extern_Id__c", "A/1:booked", {"X": 1})
    assert upsert.method == "PATCH" and upsert.path == "sobjects/Contactmoment__c/Extern_Id__c/A%2F1%3Abooked"
    assert Subrequest.query("c0", "SELECT Id FROM Account WHERE A = 'b'").path.startswith("query?q=SELECT+Id")
    assert ref_first_record_id("c0") == "@{c0.records[0].Id}"
    ok = SubResult.model_validate({"referenceId": "cm", "httpStatusCode": 201, "body": {"id": "a0C1"}})
    assert ok.ok and ok.record_id == "a0C1" and ok.errors == []
    bad = SubResult.model_validate({"referenceId": "cm", "httpStatusCode": 400,
                                    "body": [{"errorCode": "INVALID_FIELD", "message": "m", "fields": ["F"]}]})
    assert not bad.ok and bad.errors[0].error_code == "INVALID_FIELD" and bad.record_id is None
