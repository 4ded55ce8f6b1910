"""The published OpenAPI document (issue 21 §3): every reference resolves, every response declares API-Version,
every error is problem+json, Bearer auth is declared, the document is readable cross-origin, and string schemas
say that NUL characters are refused. Spectral with .spectral.yaml checks the design rules in .ci/run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.model import AppointmentEvent


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as c:
        yield c


@pytest.fixture
def doc(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    return document


def _strings(schema: Any, at: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            yield at, schema
        for key, value in schema.items():
            yield from _strings(value, f"{at}/{key}")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _strings(item, f"{at}/{index}")


def test_valid_and_every_reference_resolves(doc: dict[str, Any]) -> None:
    validate(doc)
    resolver = Registry().with_resource("urn:doc", Resource.from_contents(doc, DRAFT202012)).resolver("urn:doc")
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    for ref in refs:
        resolver.lookup(ref)  # raises when it points at nothing
    assert "$defs" not in json.dumps(doc["paths"])
    for name in ("Appointment", "AppointmentStatus", "Location", "Customer"):  # pydantic's $defs, moved
        assert name in doc["components"]["schemas"]


def test_responses_declare_api_version_and_errors_are_problems(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                assert "API-Version" in response.get("headers", {}), (method, path, status)
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
                    assert "HTTPValidationError" not in json.dumps(response)


def test_bearer_auth_is_declared(doc: dict[str, Any]) -> None:
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/health/live"]["get"]["security"] == []


def test_the_document_is_readable_cross_origin(client: TestClient) -> None:
    answer = client.get("/api/v1/openapi.json", headers={"Origin": "https://developer.example.nl"})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["api-version"]


def test_every_request_string_refuses_nul(doc: dict[str, Any]) -> None:
    open_strings = [at for at, s in _strings({"paths": doc["paths"], "schemas": doc["components"]["schemas"]})
                    if not ({"pattern", "enum", "const", "format"} & set(s))]
    assert open_strings == []
    assert doc["components"]["schemas"]["JsonValue"]  # `data` may be any JSON, still without NUL


def test_the_events_body_offers_the_appointment_schema(doc: dict[str, Any]) -> None:
    body = doc["paths"]["/events"]["post"]["requestBody"]["content"]["application/cloudevents+json"]["schema"]
    assert {"$ref": "#/components/schemas/AppointmentEvent"} in body["oneOf"]
    appointment = doc["components"]["schemas"]["AppointmentEvent"]["properties"]["data"]
    assert appointment == {"$ref": "#/components/schemas/Appointment"}
    assert AppointmentEvent.__name__ in doc["components"]["schemas"]
