"""The register contract itself: valid OpenAPI, complete against the sketch, NL API Design Rules."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from contract_tests.openapi_check import ContractViolation, OpenApiContract
from contract_tests.register import samples
from contract_tests.register.conftest import BASE_URL, SPEC
from hub.model import Appointment, AppointmentEvent, parse_event

SKETCH_OPERATIONS = {
    ("get", "/appointments"), ("get", "/appointments/{appointmentId}"),
    ("put", "/appointments/by-external-id/{externalId}"),
    ("post", "/appointments/{appointmentId}/complete"), ("post", "/appointments/{appointmentId}/close"),
    ("post", "/appointments/{appointmentId}/cancel"), ("post", "/appointments/{appointmentId}/check-in"),
    ("get", "/products"), ("get", "/locations"), ("get", "/counters"), ("get", "/rooms"), ("get", "/employees"),
    ("get", "/staffing-blocks"), ("post", "/staffing-blocks/batch"),
    ("get", "/unavailability-blocks"), ("post", "/unavailability-blocks/batch"),
}
APPOINTMENT_QUERY = {"from", "to", "updatedSince", "externalId", "caseReference", "customerBsn", "locationId",
                     "status", "cursor", "limit"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_tender_metadata(document: dict[str, Any]) -> None:
    assert document["info"]["contact"]["email"]
    assert all("/api/v1" in s["url"] for s in document["servers"])
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"].endswith("/oauth/token")
    assert document["security"] == [{"oauth2": []}]


def test_every_sketch_operation_is_described(contract: OpenApiContract) -> None:
    described = {(op.method, op.template) for op in contract.operations()}
    assert described == SKETCH_OPERATIONS


def test_list_appointments_query_parameters(contract: OpenApiContract) -> None:
    op, _ = contract.match("GET", f"{BASE_URL}/appointments")
    assert {p["name"] for p in op.parameters if p["in"] == "query"} == APPOINTMENT_QUERY


def test_upsert_headers_and_status_change_flags(contract: OpenApiContract) -> None:
    upsert, _ = contract.match("PUT", f"{BASE_URL}/appointments/by-external-id/x")
    headers = {p["name"]: p for p in upsert.parameters if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] is True and "If-Match" in headers
    assert any(p["name"] == "notifyCustomer" and p["in"] == "query" for p in upsert.parameters)
    assert {"200", "201", "412", "422", "429"} <= set(upsert.spec["responses"])
    for action in ("complete", "close", "cancel"):
        op, _ = contract.match("POST", f"{BASE_URL}/appointments/a/{action}")
        body = contract.resolve(op.spec["requestBody"])["content"]["application/json"]["schema"]
        assert "notifyCustomer" in contract.resolve(body)["properties"]
        assert {"200", "409", "412", "429"} <= set(op.spec["responses"])
        assert "ETag" in op.spec["responses"]["200"]["headers"]


def test_paths_are_kebab_case_without_trailing_slash(document: dict[str, Any]) -> None:
    for path in document["paths"]:
        assert not path.endswith("/"), path
        for segment in path.strip("/").split("/"):
            assert re.fullmatch(r"[a-z]+(-[a-z]+)*|\{[a-z][A-Za-z]*\}", segment), (path, segment)


def test_query_keys_are_camel_case(contract: OpenApiContract) -> None:
    for op in contract.operations():
        for param in op.parameters:
            if param["in"] in ("query", "path"):
                assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", param["name"]), (op.operation_id, param["name"])


def test_every_response_has_api_version_and_errors_are_problem_json(contract: OpenApiContract) -> None:
    for op in contract.operations():
        for status, raw in op.spec["responses"].items():
            response = contract.resolve(raw)
            assert "API-Version" in response.get("headers", {}), (op.operation_id, status)
            if status.startswith(("4", "5")):
                assert set(response["content"]) == {"application/problem+json"}, (op.operation_id, status)
            if status == "429":
                assert contract.resolve(response["headers"]["Retry-After"])["required"] is True


def test_paged_lists_share_the_cursor_shape(contract: OpenApiContract) -> None:
    for op in contract.operations():
        if op.method == "get" and "{" not in op.template:
            names = {p["name"] for p in op.parameters}
            assert {"cursor", "limit"} <= names, op.template
            schema = contract.resolve(op.spec["responses"]["200"]["content"]["application/json"]["schema"])
            assert schema["required"] == ["items", "next"], op.template


def test_schema_covers_every_field_of_the_canonical_appointment(contract: OpenApiContract) -> None:
    fields = contract.resolve({"$ref": "#/components/schemas/AppointmentFields"})["properties"]
    own = contract.resolve({"$ref": "#/components/schemas/Appointment"})["allOf"][1]["properties"]
    canonical = {f.alias or name for name, f in Appointment.model_fields.items()}
    assert canonical <= set(fields) | set(own)


def test_samples_fit_both_the_contract_and_the_canonical_model(contract: OpenApiContract) -> None:
    body = samples.appointment()
    assert contract.component_errors("Appointment", body) == []
    assert Appointment.model_validate(body).id == body["id"]
    assert contract.component_errors("Appointment", {**body, "status": "lost"}) != []
    assert contract.component_errors("Appointment", {k: v for k, v in body.items() if k != "version"}) != []


def test_webhook_cloud_event_matches_the_hub_model(document: dict[str, Any], contract: OpenApiContract) -> None:
    hook = document["webhooks"]["appointmentChanged"]["post"]
    assert "application/cloudevents+json" in hook["requestBody"]["content"]
    event = samples.cloud_event("rescheduled", version=2)
    assert contract.component_errors("AppointmentCloudEvent", event) == []
    assert isinstance(parse_event(event), AppointmentEvent)
    closed = samples.cloud_event("closed")
    assert contract.component_errors("AppointmentCloudEvent", closed) != []  # a close emits no event


def test_checker_rejects_requests_outside_the_contract(contract: OpenApiContract) -> None:
    auth = {"Authorization": "Bearer t"}
    unknown_query = httpx.Request("GET", f"{BASE_URL}/appointments", params={"page": "2"}, headers=auth)
    no_key = httpx.Request("PUT", f"{BASE_URL}/appointments/by-external-id/x", headers=auth,
                           json={k: v for k, v in samples.appointment().items()
                                 if k not in ("id", "version", "updatedAt")})
    with_id = httpx.Request("PUT", f"{BASE_URL}/appointments/by-external-id/x", json=samples.appointment(),
                            headers={**auth, "Idempotency-Key": "k"})
    trailing = httpx.Request("GET", f"{BASE_URL}/products/", headers=auth)
    anonymous = httpx.Request("GET", f"{BASE_URL}/products")
    for request, needle in [(unknown_query, "'page'"), (no_key, "Idempotency-Key"), (with_id, "body"),
                            (trailing, "no such path"), (anonymous, "Authorization")]:
        with pytest.raises(ContractViolation, match=needle):
            contract.check_request(request)


def test_checker_rejects_responses_outside_the_contract(contract: OpenApiContract) -> None:
    request = httpx.Request("GET", f"{BASE_URL}/appointments/A-1", headers={"Authorization": "Bearer t"})
    good = httpx.Response(200, json=samples.appointment(), headers={"API-Version": "1.0.0", "ETag": '"1"'})
    contract.check_response(request, good)
    cases = [
        (httpx.Response(200, json=samples.appointment(), headers={"API-Version": "1.0.0"}), "ETag"),
        (httpx.Response(418, json={}, headers={"API-Version": "1.0.0"}), "not documented"),
        (httpx.Response(404, json={"title": "Not Found", "status": 404}, headers={"API-Version": "1.0.0"}),
         "content type"),
        (httpx.Response(200, json={"id": "A-1"}, headers={"API-Version": "1.0.0", "ETag": '"1"'}), "required"),
    ]
    for response, needle in cases:
        with pytest.raises(ContractViolation, match=needle):
            contract.check_response(request, response)
