"""The published OpenAPI document, made to pass the Logius API Design Rules and resolve every reference:
model schemas in `components/schemas` (pydantic's `$defs` moved there), problem+json for every error,
`API-Version` on every response, Bearer auth declared, NUL characters refused by every string schema."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.api import problems
from hub.model import AppointmentEvent, CloudEvent
from hub.notificaties import Notificatie

NO_NUL = r"^[^\x00]*$"
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
REF = "#/components/schemas/{model}"
PUBLIC = ("/health/live", "/openapi.json")
#: Any JSON value without NUL characters (what `data` of a CloudEvent may hold).
JSON_VALUE: dict[str, Any] = {"anyOf": [
    {"type": "null"}, {"type": "boolean"}, {"type": "number"}, {"type": "string", "pattern": NO_NUL},
    {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
    {"type": "object", "propertyNames": {"pattern": NO_NUL},
     "additionalProperties": {"$ref": "#/components/schemas/JsonValue"}},
]}
#: CloudEvents extension attributes: lowercase a-z/0-9 names, String, Integer or Boolean values.
EXTENSION: dict[str, Any] = {"anyOf": [{"type": "string", "pattern": NO_NUL},
                                       {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
                                       {"type": "boolean"}, {"type": "null"}]}
EVENTS_ACCEPTED: dict[str, Any] = {
    "type": "object", "description": "one item for a single event, or a summary and items for a batch",
    "properties": {"id": {"type": "string"}, "duplicate": {"type": "boolean"},
                   "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                   "items": {"type": "array", "items": {"type": "object", "properties": {
                       "id": {"type": "string"}, "duplicate": {"type": "boolean"}}}}},
}
API_VERSION_HEADER: dict[str, Any] = {"description": "the version of this API (semver)",
                                      "schema": {"type": "string", "example": "1.0.0"}}


def _no_nul(schema: Any) -> None:
    """Give every string schema without a pattern (or format) the NUL refusal, in place."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema \
                and "const" not in schema and "format" not in schema:
            schema["pattern"] = NO_NUL
        for value in schema.values():
            _no_nul(value)
    elif isinstance(schema, list):
        for item in schema:
            _no_nul(item)


def _no_nul_keys(schema: Any) -> None:
    """Free-form objects: no NUL in any key, and unknown members hold JSON without NUL (as the models check)."""
    if isinstance(schema, dict):
        extra = schema.get("additionalProperties")
        if extra is True:
            schema["additionalProperties"] = {"$ref": "#/components/schemas/JsonValue"}
        if extra not in (None, False) or (schema.get("type") == "object" and "properties" not in schema):
            schema.setdefault("propertyNames", {"pattern": NO_NUL})
        for value in schema.values():
            _no_nul_keys(value)
    elif isinstance(schema, list):
        for item in schema:
            _no_nul_keys(item)


def model_schemas(models: list[type[BaseModel]]) -> dict[str, Any]:
    """The models' JSON schemas with their `$defs`, all as components; refs point at `components/schemas`."""
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    return dict(top.get("$defs", {}))


def _cloudevent_schemas(schemas: dict[str, Any]) -> None:
    """Envelope rules the models check in code: extension names and types, any JSON (no NUL) as data."""
    for name in ("CloudEvent", "AppointmentEvent"):
        schema = schemas[name]
        schema.pop("additionalProperties", None)
        schema["patternProperties"] = {"^[a-z0-9]+$": EXTENSION}
        schema["additionalProperties"] = False
    event = schemas["CloudEvent"]
    event["properties"]["data"] = {"$ref": "#/components/schemas/JsonValue"}
    event["properties"]["data_base64"] = {
        "anyOf": [{"type": "string", "contentEncoding": "base64", "pattern": BASE64}, {"type": "null"}],
        "description": "binary data, instead of data"}
    # data and data_base64 exclude each other (a null attribute counts as absent)
    event["not"] = {"required": ["data", "data_base64"], "properties": {
        "data": {"not": {"type": "null"}}, "data_base64": {"not": {"type": "null"}}}}
    schemas["JsonValue"] = JSON_VALUE


def _responses(document: dict[str, Any]) -> None:
    """Every response declares API-Version; every error is a problem document; 422 validation becomes 400."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            operation.setdefault("description", operation.get("summary", ""))
            if "422" in responses and "HTTPValidationError" in str(responses["422"]):
                del responses["422"]
                responses.setdefault("400", problems.documented(400)[400])
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = {problems.PROBLEM_JSON: {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}
                response.setdefault("headers", {})["API-Version"] = API_VERSION_HEADER
            if path in PUBLIC or path.startswith("/health/live") or method == "options":
                operation["security"] = []
            if method == "options":  # the handshake answers in headers only
                responses["200"].pop("content", None)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def custom_openapi(api: FastAPI, models: list[type[BaseModel]] | None = None) -> Callable[[], dict[str, Any]]:
    """A replacement for `api.openapi` that builds (once) the document described above."""

    def build() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        document = get_openapi(title=api.title, version=api.version, openapi_version=api.openapi_version,
                               description=api.description, routes=api.routes, tags=api.openapi_tags,
                               servers=api.servers, contact=api.contact)
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas.update(model_schemas(models or [AppointmentEvent, CloudEvent, Notificatie]))
        _cloudevent_schemas(schemas)
        schemas["Problem"] = copy.deepcopy(problems.PROBLEM_SCHEMA)
        schemas["EventsAccepted"] = copy.deepcopy(EVENTS_ACCEPTED)
        _responses(document)
        _no_nul(document["paths"])
        _no_nul(schemas)
        _no_nul_keys(document["paths"])
        _no_nul_keys(schemas)
        components["securitySchemes"] = {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "an API token (AFSPRAKENHUB_API_TOKENS) or an OAuth2 JWT when jwt.jwks_url is set; "
                           "/notificaties also takes the abonnement's auth value"}}
        document["security"] = [{"bearerAuth": []}]
        api.openapi_schema = document
        return document

    return build
