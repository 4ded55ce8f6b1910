"""The Salesforce connector against Salesforce's documented REST shapes, offline.

Documented shapes (REST API Developer Guide): the OAuth token request per grant; composite
`{"allOrNone", "compositeRequest": [{"method", "url": "/services/data/vXX.X/…", "referenceId", "body"}]}`
with `@{ref.field}` references; upsert by external id `PATCH …/sobjects/<Object>/<ExtIdField>/<value>`;
subresponses `{"body", "httpHeaders", "httpStatusCode", "referenceId"}`; error bodies
`[{"errorCode", "message", "fields"}]`; `Sforce-Limit-Info: api-usage=N/M`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jsonschema import Draft202012Validator
from prometheus_client import REGISTRY
from pydantic import SecretStr

from connectors.salesforce import SalesforceClient, Subrequest, ref_first_record_id
from contract_tests.salesforce.conftest import INSTANCE, LOGIN, MockSalesforce, client_for
from hub.errors import PermanentError, TransientError

COMPOSITE_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["compositeRequest"],
    "properties": {
        "allOrNone": {"type": "boolean"}, "collateSubrequests": {"type": "boolean"},
        "compositeRequest": {"type": "array", "minItems": 1, "maxItems": 25, "items": {
            "type": "object", "additionalProperties": False, "required": ["method", "url", "referenceId"],
            "properties": {
                "method": {"enum": ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]},
                "url": {"type": "string", "pattern": r"^/services/data/v\d+\.\d+/"},
                "referenceId": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
                "body": {"type": "object"}, "httpHeaders": {"type": "object"}}}}},
}
SUBRESPONSE = {"type": "object", "required": ["body", "httpHeaders", "httpStatusCode", "referenceId"]}
# The documented examples of composite subrequest results (created record; an error).
DOC_CREATED = {"body": {"id": "001R00000064wdtIAA", "success": True, "errors": []},
               "httpHeaders": {"Location": "/services/data/v60.0/sobjects/Account/001R00000064wdtIAA"},
               "httpStatusCode": 201, "referenceId": "refAccount"}
DOC_ERROR = {"body": [{"message": "Email: invalid email address: Not a real email address",
                       "errorCode": "INVALID_EMAIL_ADDRESS", "fields": ["Email"]}],
             "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "badContact"}
DOC_UPDATED_204 = {"body": None, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "cm_booked"}
DOC_HALTED = {"body": [{"errorCode": "PROCESSING_HALTED",
                        "message": "Invalid reference specified. No value for customer0.records[0].Id found"}],
              "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "cm_booked"}


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _subrequests() -> list[Subrequest]:
    return [Subrequest.query("customer0", "SELECT Id FROM Account WHERE BSN__c = '999993653' LIMIT 1"),
            Subrequest.upsert("cm_booked", "Contactmoment__c", "Extern_Id__c", "A-1:booked",
                              {"Klant__c": ref_first_record_id("customer0"), "Soort__c": "Afspraak gemaakt"}),
            Subrequest.create("newAccount", "Account", {"LastName": "Dijk"})]


def test_client_credentials_token_request(mock_sf: MockSalesforce, sf_client: SalesforceClient) -> None:
    mock_sf.on("POST", "/services/data/v60.0/composite", 200, {"compositeResponse": [DOC_CREATED]})
    sf_client.composite(_subrequests()[2:], all_or_none=True)
    token = mock_sf.requests[0]
    assert str(token.url) == f"{LOGIN}/services/oauth2/token"
    assert mock_sf.form() == {"grant_type": "client_credentials"}
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"afsprakenhub:sandbox-secret").decode()
    [data] = mock_sf.data_requests()
    assert str(data.url) == f"{INSTANCE}/services/data/v60.0/composite"
    assert data.headers["Authorization"] == "Bearer token-1"


def test_password_token_request(mock_sf: MockSalesforce) -> None:
    client = client_for(mock_sf, auth="password", username="u@example.nl", password=SecretStr("pw"),
                        security_token=SecretStr("TOKEN"))
    mock_sf.on("GET", "/services/data/v60.0/query", 200, {"totalSize": 0, "done": True, "records": []})
    client.query("SELECT Id FROM Account LIMIT 1")
    form = mock_sf.form()
    assert form["grant_type"] == "password" and form["username"] == "u@example.nl"
    assert form["password"] == "pwTOKEN" and form["client_id"] == "afsprakenhub"


def test_jwt_bearer_token_request(mock_sf: MockSalesforce) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    client = client_for(mock_sf, auth="jwt_bearer", username="u@example.nl", private_key=SecretStr(pem))
    mock_sf.on("GET", "/services/data/v60.0/query", 200, {"totalSize": 0, "done": True, "records": []})
    client.query("SELECT Id FROM Account LIMIT 1")
    form = mock_sf.form()
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(form["assertion"], key.public_key(), algorithms=["RS256"], audience=LOGIN)
    assert claims["iss"] == "afsprakenhub" and claims["sub"] == "u@example.nl" and claims["exp"] > 0


def test_composite_request_has_the_documented_shape(mock_sf: MockSalesforce, sf_client: SalesforceClient) -> None:
    refs = ("customer0", "cm_booked", "newAccount")
    mock_sf.on("POST", "/services/data/v60.0/composite", 200,
               {"compositeResponse": [{**DOC_CREATED, "referenceId": r} for r in refs]})
    sf_client.composite(_subrequests(), all_or_none=False)
    body = _json(mock_sf.data_requests()[0])
    assert not list(Draft202012Validator(COMPOSITE_REQUEST).iter_errors(body))
    query, upsert, create = body["compositeRequest"]
    assert body["allOrNone"] is False
    assert query["method"] == "GET" and query["url"].startswith("/services/data/v60.0/query?q=SELECT+Id+FROM+Account")
    assert upsert["method"] == "PATCH"
    assert upsert["url"] == "/services/data/v60.0/sobjects/Contactmoment__c/Extern_Id__c/A-1%3Abooked"
    assert upsert["body"]["Klant__c"] == "@{customer0.records[0].Id}"
    assert create["method"] == "POST" and create["url"] == "/services/data/v60.0/sobjects/Account"


def test_documented_subresponses_parse_and_errors_keep_the_code(mock_sf: MockSalesforce,
                                                                sf_client: SalesforceClient) -> None:
    answer = {"compositeResponse": [DOC_CREATED, DOC_UPDATED_204, DOC_ERROR]}
    assert all(not list(Draft202012Validator(SUBRESPONSE).iter_errors(r)) for r in answer["compositeResponse"])
    mock_sf.on("POST", "/services/data/v60.0/composite", 200, answer)
    results = sf_client.composite(_subrequests(), all_or_none=False)
    assert [r.ok for r in results] == [True, True, False]
    assert results[0].record_id == "001R00000064wdtIAA" and results[1].record_id is None
    with pytest.raises(PermanentError) as error:
        sf_client.raise_for_results("composite", results)
    assert "400 INVALID_EMAIL_ADDRESS (Email)" in error.value.reason and "Not a real" not in error.value.reason


def test_an_unresolved_reference_is_processing_halted(mock_sf: MockSalesforce, sf_client: SalesforceClient) -> None:
    from connectors.salesforce import halted_only

    mock_sf.on("POST", "/services/data/v60.0/composite", 200, {"compositeResponse": [
        {"body": {"totalSize": 0, "done": True, "records": []}, "httpHeaders": {}, "httpStatusCode": 200,
         "referenceId": "customer0"}, DOC_HALTED]})
    results = sf_client.composite(_subrequests()[:2], all_or_none=False)
    assert results[0].records == [] and halted_only(results)


@pytest.mark.parametrize(("status", "body", "kind", "code"), [
    (400, [{"errorCode": "INVALID_FIELD", "message": "No such column 'Foo__c'", "fields": ["Foo__c"]}],
     PermanentError, "INVALID_FIELD"),
    (403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
     TransientError, "REQUEST_LIMIT_EXCEEDED"),
    (503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}], TransientError, "SERVER_UNAVAILABLE"),
    (500, None, TransientError, "no error body"),
])
def test_top_level_error_bodies(mock_sf: MockSalesforce, sf_client: SalesforceClient, status: int, body: Any,
                                kind: type[Exception], code: str) -> None:
    mock_sf.on("POST", "/services/data/v60.0/composite", status, body)
    with pytest.raises(kind) as error:
        sf_client.composite(_subrequests()[:1], all_or_none=True)
    assert code in str(error.value) and str(error.value).startswith("salesforce composite failed")


def test_limit_info_is_read_and_exposed(mock_sf: MockSalesforce, sf_client: SalesforceClient) -> None:
    mock_sf.on("GET", "/services/data/v60.0/sobjects/Account/describe", 200,
               {"name": "Account", "fields": [{"name": "BSN__c", "type": "string", "length": 9, "createable": True,
                                               "updateable": True, "externalId": False, "unique": False}]},
               **{"Sforce-Limit-Info": "api-usage=1234/15000"})
    described = sf_client.describe("Account")
    assert described.field("bsn__c") is not None and described.field("BSN__c").length == 9  # type: ignore[union-attr]
    assert sf_client.api_usage is not None and (sf_client.api_usage.used, sf_client.api_usage.limit) == (1234, 15000)
    assert REGISTRY.get_sample_value("afsprakenhub_salesforce_api_usage", {"kind": "used"}) == 1234


def test_expired_session_logs_in_once_more(mock_sf: MockSalesforce, sf_client: SalesforceClient) -> None:
    answers = iter([(401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}], {}),
                    (200, {"totalSize": 0, "done": True, "records": []}, {})])
    mock_sf.handlers[("GET", "/services/data/v60.0/query")] = lambda _r: next(answers)
    assert sf_client.query("SELECT Id FROM Account LIMIT 1") == []
    assert sf_client.logins == 2
    assert [r.headers["Authorization"] for r in mock_sf.data_requests()] == ["Bearer token-1", "Bearer token-2"]


def test_refused_credentials_are_permanent(mock_sf: MockSalesforce) -> None:
    mock_sf.token_endpoint = lambda _r, _t: httpx.Response(
        400, json={"error": "invalid_client", "error_description": "x"})
    client = client_for(mock_sf)
    with pytest.raises(PermanentError, match="salesforce login failed: 400 INVALID_CLIENT"):
        client.query("SELECT Id FROM Account LIMIT 1")
    assert mock_sf.data_requests() == []
