"""Check HTTP requests and responses against an OpenAPI 3.1 document (reusable by every connector).

Schemas are validated with jsonschema (draft 2020-12, formats checked) with `$ref`s resolved inside
the document. Checked: the operation exists; path, query and header parameters (declared, required,
schema-valid); request body content type and schema; response status documented, content type,
body schema and required response headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_DOC_URI = "urn:openapi:document"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_JSON_TYPES = ("application/json", "application/problem+json", "application/cloudevents+json")


class ContractViolation(AssertionError):
    """A request or response does not conform to the OpenAPI document; lists every problem."""

    def __init__(self, what: str, problems: list[str]) -> None:
        super().__init__(f"{what} violates the contract:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with path-level parameters merged in."""

    method: str
    template: str
    spec: Mapping[str, Any]
    parameters: tuple[Mapping[str, Any], ...]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", f"{self.method.upper()} {self.template}"))


class OpenApiContract:
    """An OpenAPI document plus the base URL under which its paths are served."""

    def __init__(self, document: Mapping[str, Any], base_url: str | None = None) -> None:
        self.document = document
        server = base_url or document.get("servers", [{}])[0].get("url", "")
        self.base_path = urlsplit(server).path.rstrip("/")
        resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_DOC_URI, resource)

    @classmethod
    def load(cls, path: Path | str, base_url: str | None = None) -> OpenApiContract:
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")), base_url)

    # -- document access ------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """Follow a local `$ref` (components/…) until a non-reference node."""
        while isinstance(node, Mapping) and "$ref" in node:
            node = self.pointer(str(node["$ref"]))
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def schema_errors(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        """Validation errors of `instance` against a schema of this document ($refs resolved)."""
        wrapped = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                   "$ref": f"{_DOC_URI}#/__check__"}
        registry = self._registry.with_resource(
            _DOC_URI, Resource.from_contents({**self.document, "__check__": dict(schema)},
                                             default_specification=DRAFT202012))
        validator = Draft202012Validator(wrapped, registry=registry, format_checker=FormatChecker())
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))]

    def component_errors(self, name: str, instance: Any) -> list[str]:
        """Errors of `instance` against `components/schemas/<name>`."""
        return self.schema_errors({"$ref": f"#/components/schemas/{name}"}, instance)

    @cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        patterns = []
        for template in self.document.get("paths", {}):
            regex = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            patterns.append((re.compile(f"^{regex}$"), template))
        # literal paths first, so /appointments/by-external-id/x beats /appointments/{id}/…
        return sorted(patterns, key=lambda p: p[1].count("{"))

    def operations(self) -> Iterable[Operation]:
        for template, item in self.document.get("paths", {}).items():
            for method in _METHODS:
                if method in item:
                    yield self._operation(template, method)

    def _operation(self, template: str, method: str) -> Operation:
        item = self.document["paths"][template]
        spec = item[method]
        merged: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*item.get("parameters", []), *spec.get("parameters", [])]:
            param = self.resolve(raw)
            merged[(param["in"], param["name"].lower() if param["in"] == "header" else param["name"])] = param
        return Operation(method, template, spec, tuple(merged.values()))

    def match(self, method: str, url: httpx.URL | str) -> tuple[Operation, dict[str, str]]:
        """The operation for a request, with its raw path parameters; ContractViolation if none."""
        raw_path = httpx.URL(str(url)).raw_path.decode("ascii").split("?", 1)[0]
        if not raw_path.startswith(self.base_path + "/"):
            raise ContractViolation(f"{method} {raw_path}", [f"not under the base path {self.base_path}"])
        rel = raw_path[len(self.base_path):]
        for regex, template in self._templates:
            found = regex.match(rel)
            if found:
                if method.lower() not in self.document["paths"][template]:
                    raise ContractViolation(f"{method} {rel}", [f"method not allowed on {template}"])
                params = {k: unquote(v) for k, v in found.groupdict().items()}
                return self._operation(template, method.lower()), params
        raise ContractViolation(f"{method} {rel}", ["no such path in the contract"])

    # -- checks ---------------------------------------------------------------------------------

    def check_request(self, request: httpx.Request) -> Operation:
        """Raise ContractViolation unless `request` conforms; returns the matched operation."""
        operation, path_params = self.match(request.method, request.url)
        problems: list[str] = []
        query = request.url.params
        declared_query = {p["name"] for p in operation.parameters if p["in"] == "query"}
        problems += [f"query parameter {k!r} is not in the contract" for k in query if k not in declared_query]
        for param in operation.parameters:
            where, name = param["in"], param["name"]
            values: list[str]
            if where == "query":
                values = query.get_list(name)
            elif where == "header":
                values = [request.headers[name]] if name in request.headers else []
            elif where == "path":
                values = [path_params[name]] if name in path_params else []
            else:
                continue
            if not values:
                if param.get("required"):
                    problems.append(f"{where} parameter {name!r} is required")
                continue
            for value in values:
                problems += [f"{where} parameter {name!r}: {e}"
                             for e in self.schema_errors(param.get("schema", {}), _coerce(value, param))]
        if self._needs_auth(operation) and not request.headers.get("Authorization", "").startswith("Bearer "):
            problems.append("Authorization: Bearer <token> is required")
        problems += self._request_body_problems(operation, request)
        if problems:
            raise ContractViolation(f"request {operation.operation_id}", problems)
        return operation

    def check_response(self, request: httpx.Request, response: httpx.Response) -> Operation:
        """Raise ContractViolation unless `response` is a documented answer to `request`."""
        operation, _ = self.match(request.method, request.url)
        responses = operation.spec.get("responses", {})
        code = str(response.status_code)
        spec = responses.get(code) or responses.get(f"{code[0]}XX") or responses.get("default")
        what = f"response {response.status_code} of {operation.operation_id}"
        if spec is None:
            raise ContractViolation(what, [f"status {code} is not documented"])
        spec = self.resolve(spec)
        problems: list[str] = []
        for name, header in spec.get("headers", {}).items():
            header = self.resolve(header)
            value = response.headers.get(name)
            if value is None:
                if header.get("required"):
                    problems.append(f"header {name} is required")
                continue
            problems += [f"header {name}: {e}" for e in self.schema_errors(header.get("schema", {}), value)]
        content = spec.get("content", {})
        if content:
            problems += self._body_problems(content, response.headers.get("Content-Type"), response.content)
        if problems:
            raise ContractViolation(what, problems)
        return operation

    def check_exchange(self, request: httpx.Request, response: httpx.Response) -> Operation:
        """Both checks at once."""
        self.check_request(request)
        return self.check_response(request, response)

    def _needs_auth(self, operation: Operation) -> bool:
        security = operation.spec.get("security", self.document.get("security", []))
        return bool(security) and all(req for req in security)

    def _request_body_problems(self, operation: Operation, request: httpx.Request) -> list[str]:
        body_spec = self.resolve(operation.spec.get("requestBody"))
        if body_spec is None:
            return ["a body was sent but the operation takes none"] if request.content else []
        if not request.content:
            return ["a request body is required"] if body_spec.get("required") else []
        return self._body_problems(body_spec.get("content", {}), request.headers.get("Content-Type"),
                                   request.content)

    def _body_problems(self, content: Mapping[str, Any], content_type: str | None, raw: bytes) -> list[str]:
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media not in content:
            return [f"content type {media or '(none)'} is not one of {sorted(content)}"]
        if media not in _JSON_TYPES:
            return []
        try:
            body = json.loads(raw)
        except ValueError:
            return ["body is not JSON"]
        return [f"body {e}" for e in self.schema_errors(content[media].get("schema", {}), body)]


def _coerce(value: str, param: Mapping[str, Any]) -> Any:
    """A query/header/path string as the JSON type its schema declares (integer, number, boolean)."""
    kind = param.get("schema", {}).get("type")
    try:
        if kind == "integer" and re.fullmatch(r"-?\d+", value):
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


__all__ = ["ContractViolation", "OpenApiContract", "Operation"]
