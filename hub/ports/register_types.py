"""The register port's canonical types besides `hub.model.Appointment`: catalogue entries, blocks, results.

`Product`, `Location`, `Counter`, `Room` and `Employee` here are the register's catalogue entries
(`list_products()` …), not the references inside an appointment (those live in `hub.model`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from hub.model import Appointment, AwareDatetime

T = TypeVar("T")


class RegisterModel(BaseModel):
    """Base: camelCase on the wire, snake_case in code, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    def wire(self) -> dict[str, object]:
        """The JSON-ready form with the wire (camelCase) names."""
        return self.model_dump(mode="json", by_alias=True)


class Page(RegisterModel, Generic[T]):
    """One page of a list; `next` is the cursor of the following page (None on the last)."""

    items: list[T]
    next: str | None = None


class Product(RegisterModel):
    code: str = Field(min_length=1)
    name: str
    department: str | None = None
    duration_minutes: int | None = None


class Location(RegisterModel):
    id: str = Field(min_length=1)
    name: str
    address: str | None = None


class Counter(RegisterModel):
    id: str = Field(min_length=1)
    name: str
    location_id: str


class Room(RegisterModel):
    id: str = Field(min_length=1)
    name: str
    location_id: str
    mailbox: str | None = None


class Employee(RegisterModel):
    id: str = Field(min_length=1)
    name: str
    upn: str | None = None
    department: str | None = None


class _Block(RegisterModel):
    id: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _end_after_start(self) -> _Block:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self


class StaffingBlock(_Block):
    """Who (employee or counter) is available where, when, with which skills."""

    resource_id: str = Field(min_length=1)
    location_id: str = Field(min_length=1)
    counter_id: str | None = None
    skills: list[str] = Field(default_factory=list)
    capacity: int = Field(ge=0)


class UnavailabilityBlock(_Block):
    """An employee is not available (leave, meeting, …)."""

    employee_id: str = Field(min_length=1)
    reason: str | None = None
    source: str = Field(min_length=1)


class BatchResult(RegisterModel):
    """Counts of one (or, summed, several) batch requests."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    not_found: int = 0

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            deleted=self.deleted + other.deleted,
            not_found=self.not_found + other.not_found,
        )


class QrCode(RegisterModel):
    """An appointment's QR code as the register renders it (e.g. `image/png`)."""

    content_type: str = Field(min_length=1)
    data: bytes


class UpsertResult(RegisterModel):
    """The appointment after an upsert and whether the register created it (201) or not (200)."""

    appointment: Appointment
    created: bool


__all__ = [
    "BatchResult",
    "Counter",
    "Employee",
    "Location",
    "Page",
    "Product",
    "QrCode",
    "RegisterModel",
    "Room",
    "StaffingBlock",
    "UnavailabilityBlock",
    "UpsertResult",
]
