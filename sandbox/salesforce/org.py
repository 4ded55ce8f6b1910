"""`Org`: the simulated Salesforce org in memory — records, REST semantics, composite, errors, limits."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.salesforce.schema import TEXT, ObjectDef, default_schema
from sandbox.salesforce.soql import SoqlError, parse

HALTED_ROLLBACK = "The transaction was rolled back since another operation in the same transaction failed."
_REF = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")
_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")
_VERSIONED = re.compile(r"^/services/data/v(?P<version>\d+\.\d+)/(?P<rest>.*)$")
#: From this API version an upsert that updates answers 200 with a body (`created: false`); before it, 204.
UPSERT_BODY_SINCE = 46.0


class SfError(Exception):
    """An error answer: HTTP status and Salesforce's error list."""

    def __init__(self, status: int, code: str, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.body = [{"errorCode": code, "message": message, "fields": list(fields)}]


@dataclass(frozen=True)
class InjectedError:
    code: str
    status: int = 400
    fields: tuple[str, ...] = ()


class Org:
    """Records per object; `execute` is one REST call (also used for each composite subrequest)."""

    def __init__(self, schema: dict[str, ObjectDef] | None = None, *, api_limit: int = 15000) -> None:
        self.schema = schema or default_schema()
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.schema}
        self.api_limit = api_limit
        self.api_used = 0
        self.lock = threading.RLock()
        self._next_id = 0
        self._write_errors: list[InjectedError] = []

    # -- knobs and seeding ---------------------------------------------------------------------
    def fail_next_write(self, code: str, status: int = 400, fields: tuple[str, ...] = ()) -> None:
        """The next create/update/upsert (direct or in a composite) answers this error."""
        with self.lock:
            self._write_errors.append(InjectedError(code, status, fields))

    def insert(self, sobject: str, fields: Mapping[str, Any]) -> str:
        """Add a record directly (seeding); returns its Id."""
        with self.lock:
            obj = self._object(sobject)
            return self._create(obj, dict(fields), validate=False)

    def all(self, sobject: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.records[self._object(sobject).name.lower()].values()]

    # -- one call ------------------------------------------------------------------------------
    def count_call(self) -> None:
        """Count one API request against the limit; REQUEST_LIMIT_EXCEEDED once it is used up."""
        with self.lock:
            if self.api_used >= self.api_limit:
                raise SfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_used += 1

    def execute(self, method: str, path: str, query: Mapping[str, str], body: Any,
                version: float = 60.0) -> tuple[int, Any]:
        """One REST call below `/services/data/vXX.X/` (not counted against the limit)."""
        with self.lock:
            parts = [unquote(p) for p in path.strip("/").split("/")]
            if path.strip("/") == "composite" and method == "POST":
                return 200, self.composite(body)
            if parts[0] == "query" and method == "GET":
                return 200, self.query(query.get("q", ""))
            if parts[0] != "sobjects" or len(parts) < 2:
                raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
            obj = self._object(parts[1])
            if len(parts) == 3 and parts[2] == "describe" and method == "GET":
                return 200, obj.describe()
            if len(parts) == 2 and method == "POST":
                record_id = self._create(obj, self._fields(body))
                return 201, {"id": record_id, "success": True, "errors": []}
            if len(parts) == 3 and method == "GET":
                return 200, self._get(obj, parts[2])
            if len(parts) == 3 and method == "PATCH":
                self._update(obj, parts[2], self._fields(body))
                return 204, None
            if len(parts) == 4 and method == "PATCH":
                return self._upsert(obj, parts[2], parts[3], self._fields(body), version)
            raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")

    # -- composite -----------------------------------------------------------------------------
    def composite(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
            raise SfError(400, "JSON_PARSER_ERROR", "compositeRequest is required")
        items = body["compositeRequest"]
        if len(items) > 25:
            raise SfError(400, "INVALID_BATCH_REQUEST", "Composite request may contain at most 25 subrequests")
        all_or_none = bool(body.get("allOrNone", False))
        # Records are replaced on write, never mutated, so copying the tables (not the records) is a snapshot.
        saved = {name: dict(table) for name, table in self.records.items()} if all_or_none else None
        answers: dict[str, Any] = {}
        results: list[dict[str, Any]] = []
        failed = False
        for item in items:
            ref = str(item.get("referenceId", ""))
            if failed and all_or_none:
                results.append(self._halted(ref, HALTED_ROLLBACK))
                continue
            try:
                url = self._resolve(str(item.get("url", "")), answers)
                sub_body = self._resolve(item.get("body"), answers)
                match = _VERSIONED.match(urlsplit(url).path)
                if not match:
                    raise SfError(400, "INVALID_URL", "The URL must start with /services/data/vXX.X/")
                sub_query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
                status, answer = self.execute(str(item.get("method", "GET")).upper(), match["rest"], sub_query,
                                              sub_body, float(match["version"]))
            except SfError as exc:
                failed = True
                results.append({"body": exc.body, "httpHeaders": {}, "httpStatusCode": exc.status,
                                "referenceId": ref})
                continue
            answers[ref] = answer
            # A created record's answer carries its Location (a 201 of a create or an upsert).
            headers = {"Location": f"/services/data/v{match['version']}/sobjects/{match['rest'].split('/')[1]}/"
                                   f"{answer['id']}"} if status == 201 and isinstance(answer, dict) else {}
            results.append({"body": answer, "httpHeaders": headers, "httpStatusCode": status, "referenceId": ref})
        if failed and all_or_none:
            assert saved is not None
            self.records = saved
            results = [r if r["httpStatusCode"] >= 400 else self._halted(r["referenceId"], HALTED_ROLLBACK)
                       for r in results]
        return {"compositeResponse": results}

    @staticmethod
    def _halted(ref: str, message: str) -> dict[str, Any]:
        return {"body": [{"errorCode": "PROCESSING_HALTED", "message": message}], "httpHeaders": {},
                "httpStatusCode": 400, "referenceId": ref}

    def _resolve(self, value: Any, answers: Mapping[str, Any]) -> Any:
        if isinstance(value, dict):
            return {k: self._resolve(v, answers) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, answers) for v in value]
        if not isinstance(value, str) or "@{" not in value:
            return value

        def lookup(match: re.Match[str]) -> str:
            ref, path = match[1], match[2]
            node: Any = answers.get(ref)
            for step in path.split("."):
                part = _STEP.fullmatch(step)
                if node is None or part is None or not isinstance(node, dict):
                    node = None
                    break
                node = node.get(part[1])
                if part[2] is not None:
                    index = int(part[2])
                    node = node[index] if isinstance(node, list) and len(node) > index else None
            if node is None:
                raise SfError(400, "PROCESSING_HALTED",
                              f"Invalid reference specified. No value for {ref}.{path} found in {ref}.")
            return str(node)

        return _REF.sub(lookup, value)

    # -- records -------------------------------------------------------------------------------
    def query(self, soql: str) -> dict[str, Any]:
        try:
            q = parse(soql)
        except SoqlError as exc:
            raise SfError(400, "MALFORMED_QUERY", str(exc)) from None
        obj = self._object(q.sobject, code="INVALID_TYPE")
        for name in (*q.fields, *(f for f, _, _ in q.where)):
            if obj.field(name) is None:
                raise SfError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'.")
        rows = [r for r in self.records[obj.name.lower()].values()
                if all(_matches(r.get(obj.fields[f.lower()].name), op, v) for f, op, v in q.where)]
        rows = rows[: q.limit] if q.limit is not None else rows
        records = [{"attributes": {"type": obj.name, "url": f"/services/data/v60.0/sobjects/{obj.name}/{r['Id']}"},
                    **{obj.fields[f.lower()].name: r.get(obj.fields[f.lower()].name) for f in q.fields}}
                   for r in rows]
        return {"totalSize": len(records), "done": True, "records": records}

    def _object(self, name: str, code: str = "NOT_FOUND") -> ObjectDef:
        obj = self.schema.get(name.lower())
        if obj is None:
            raise SfError(404 if code == "NOT_FOUND" else 400, code,
                          f"sObject type '{name}' is not supported.")
        return obj

    @staticmethod
    def _fields(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise SfError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        return {k: v for k, v in body.items() if k != "attributes"}

    def _injected(self) -> None:
        if self._write_errors:
            e = self._write_errors.pop(0)
            raise SfError(e.status, e.code, f"injected {e.code}", e.fields)

    def _validate(self, obj: ObjectDef, fields: Mapping[str, Any], *, creating: bool,
                  record_id: str | None = None) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for name, value in fields.items():
            definition = obj.field(name)
            if definition is None:
                raise SfError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}",
                              (name,))
            if not (definition.createable if creating else definition.updateable):
                raise SfError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                              f"Unable to create/update fields: {definition.name}.", (definition.name,))
            if definition.type in TEXT and isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > \
                    definition.length:
                raise SfError(400, "STRING_TOO_LONG", f"{definition.name}: data value too large",
                              (definition.name,))
            if definition.type == "reference" and value is not None:
                target = definition.reference_to[0].lower() if definition.reference_to else ""
                if target in self.records and str(value) not in self.records[target]:
                    raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                                  (definition.name,))
            if definition.unique and value is not None:
                for other_id, other in self.records[obj.name.lower()].items():
                    if other_id != record_id and _equal(other.get(definition.name), value):
                        raise SfError(400, "DUPLICATE_VALUE", f"duplicate value found: {definition.name} "
                                      f"duplicates value on record with id: {other_id}", (definition.name,))
            clean[definition.name] = value
        if creating and obj.required_one_of and not any(clean.get(f) for f in obj.required_one_of):
            raise SfError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{obj.required_one_of[0]}]",
                          (obj.required_one_of[0],))
        return clean

    def _create(self, obj: ObjectDef, fields: dict[str, Any], *, validate: bool = True) -> str:
        if validate:
            self._injected()
            fields = self._validate(obj, fields, creating=True)
        self._next_id += 1
        record_id = f"{obj.id_prefix}{self._next_id:012d}AAA"
        self.records[obj.name.lower()][record_id] = {"Id": record_id, **fields}
        if obj.field("Name") is not None and not obj.fields["name"].createable:
            self.records[obj.name.lower()][record_id]["Name"] = f"CM-{self._next_id:08d}"
        return record_id

    def _get(self, obj: ObjectDef, record_id: str) -> dict[str, Any]:
        record = self.records[obj.name.lower()].get(record_id)
        if record is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        return {"attributes": {"type": obj.name}, **record}

    def _update(self, obj: ObjectDef, record_id: str, fields: dict[str, Any]) -> None:
        record = self.records[obj.name.lower()].get(record_id)
        if record is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        self._injected()
        # Replace, never mutate: a composite's rollback snapshot shares the old record dicts.
        table = self.records[obj.name.lower()]
        table[record_id] = {**record, **self._validate(obj, fields, creating=False, record_id=record_id)}

    def _upsert(self, obj: ObjectDef, field_name: str, value: str, fields: dict[str, Any],
                version: float = 60.0) -> tuple[int, Any]:
        """Salesforce's upsert by external id: 201 when it created the record; when it updated one, 200 with
        `{"id", "success", "errors", "created": false}` (API 46.0 and later) or 204 without a body (before);
        `created` appears from 46.0 on; 300 when the value matches more than one record."""
        definition = obj.field(field_name)
        if definition is None or not (definition.external_id or definition.name == "Id"):
            raise SfError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: "
                          f"{field_name}")
        matches = [r for r in self.records[obj.name.lower()].values() if _equal(r.get(definition.name), value)]
        if len(matches) > 1:
            raise SfError(300, "MULTIPLE_CHOICES", "more than one record matches the external id")
        since = version >= UPSERT_BODY_SINCE
        if matches:
            record_id = matches[0]["Id"]
            self._update(obj, record_id, {k: v for k, v in fields.items() if k.lower() != definition.name.lower()})
            return (200, {"id": record_id, "success": True, "errors": [], "created": False}) if since else (204, None)
        record_id = self._create(obj, {**fields, definition.name: value})
        return 201, {"id": record_id, "success": True, "errors": [], **({"created": True} if since else {})}


def _comparable(value: Any) -> Any:
    """Datetimes (ISO text with a time) as aware datetimes, so `Starttijd__c >= 2027-03-01T00:00:00Z` compares
    moments; other text case-insensitively."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value.lower()
    return value.lower() if isinstance(value, str) else value


def _matches(stored: Any, op: str, wanted: Any) -> bool:
    """One SOQL condition on one stored value (null never compares with < or >)."""
    if op == "IN":
        return any(_equal(stored, w) for w in wanted)
    if op == "=":
        return _equal(stored, wanted)
    if op == "!=":
        return not _equal(stored, wanted)
    if stored is None or wanted is None:
        return False
    left, right = _comparable(stored), _comparable(wanted)
    try:
        return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])
    except TypeError:
        return False


def _equal(stored: Any, wanted: Any) -> bool:
    """SOQL equality: text compares case-insensitively; dates as ISO strings."""
    if isinstance(stored, str) and isinstance(wanted, str):
        return stored.lower() == wanted.lower()
    return bool(stored == wanted)
