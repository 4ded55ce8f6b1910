"""Typed shapes of the Salesforce REST answers the connector reads (and the composite it sends)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Self
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, ConfigDict, Field

#: Set on the other subrequests of an allOrNone composite that was rolled back (or whose `@{ref…}` did not
#: resolve); never the cause.
HALTED = "PROCESSING_HALTED"

Method = Literal["GET", "POST", "PATCH", "DELETE"]


class SalesforceModel(BaseModel):
    """Base: Salesforce's own (camelCase) names, unknown fields kept."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)


class ApiError(SalesforceModel):
    """One entry of a Salesforce error body: `[{"errorCode", "message", "fields"}]`."""

    error_code: str = Field(alias="errorCode")
    message: str = ""
    fields: list[str] = Field(default_factory=list)


class Subrequest(SalesforceModel):
    """One composite subrequest; `path` is below `/services/data/vXX.X/` (e.g. `sobjects/Account`)."""

    method: Method
    path: str
    reference_id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    body: dict[str, Any] | None = None

    @classmethod
    def query(cls, reference_id: str, soql: str) -> Self:
        return cls(method="GET", path=f"query?q={quote_plus(soql)}", reference_id=reference_id)

    @classmethod
    def create(cls, reference_id: str, sobject: str, fields: dict[str, Any]) -> Self:
        return cls(method="POST", path=f"sobjects/{quote(sobject)}", reference_id=reference_id, body=fields)

    @classmethod
    def update(cls, reference_id: str, sobject: str, record_id: str, fields: dict[str, Any]) -> Self:
        """Update one record by id: `PATCH sobjects/<Object>/<Id>`."""
        path = f"sobjects/{quote(sobject)}/{quote(record_id, safe='')}"
        return cls(method="PATCH", path=path, reference_id=reference_id, body=fields)

    @classmethod
    def upsert(cls, reference_id: str, sobject: str, external_id_field: str, external_id: str,
               fields: dict[str, Any]) -> Self:
        """Upsert by external id: `PATCH sobjects/<Object>/<ExtIdField>/<value>`."""
        path = f"sobjects/{quote(sobject)}/{quote(external_id_field)}/{quote(external_id, safe='')}"
        return cls(method="PATCH", path=path, reference_id=reference_id, body=fields)


def ref_id(reference_id: str) -> str:
    """`@{ref.id}`: the id a create or upsert subrequest returned."""
    return f"@{{{reference_id}.id}}"


def ref_first_record_id(reference_id: str) -> str:
    """`@{ref.records[0].Id}`: the first record of a query subrequest."""
    return f"@{{{reference_id}.records[0].Id}}"


class SubResult(SalesforceModel):
    """One composite subresponse; `errors` is set when the body is an error list."""

    reference_id: str = Field(alias="referenceId")
    http_status_code: int = Field(alias="httpStatusCode")
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status_code < 300

    @property
    def errors(self) -> list[ApiError]:
        if self.ok or not isinstance(self.body, list):
            return []
        return [ApiError.model_validate(e) for e in self.body if isinstance(e, dict) and "errorCode" in e]

    @property
    def record_id(self) -> str | None:
        """The `id` of a create/upsert answer (None for 204 updates and errors)."""
        return self.body.get("id") if self.ok and isinstance(self.body, dict) else None

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records of a query answer."""
        if self.ok and isinstance(self.body, dict) and isinstance(self.body.get("records"), list):
            return [r for r in self.body["records"] if isinstance(r, dict)]
        return []


class FieldDescribe(SalesforceModel):
    name: str
    type: str
    length: int = 0
    createable: bool = False
    updateable: bool = False
    external_id: bool = Field(default=False, alias="externalId")
    unique: bool = False
    nillable: bool = True
    id_lookup: bool = Field(default=False, alias="idLookup")


class ObjectDescribe(SalesforceModel):
    """The parts of `GET /sobjects/<Object>/describe` the preflight reads."""

    name: str
    createable: bool = False
    updateable: bool = False
    fields: list[FieldDescribe] = Field(default_factory=list)

    def field(self, name: str) -> FieldDescribe | None:
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)


class ApiUsage(SalesforceModel):
    """From `Sforce-Limit-Info: api-usage=N/M`."""

    used: int
    limit: int


def halted_only(results: Sequence[SubResult]) -> bool:
    """Whether every failure is PROCESSING_HALTED (e.g. an unresolved `@{ref…}`), nothing worse."""
    failed = [r for r in results if not r.ok]
    return bool(failed) and all(e.error_code == HALTED for r in failed for e in r.errors) \
        and all(r.errors for r in failed)
