"""Wire shapes of the register that are not appointments (those are `hub.model.Appointment`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from hub.model import AwareDatetime

MAX_BATCH = 500


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in code."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


class ProductInfo(WireModel):
    code: str
    name: str
    department: str
    duration_minutes: int


class LocationInfo(WireModel):
    id: str
    name: str
    address: str


class CounterInfo(WireModel):
    id: str
    name: str
    location_id: str


class RoomInfo(WireModel):
    id: str
    name: str
    location_id: str
    mailbox: str


class EmployeeInfo(WireModel):
    id: str
    name: str
    upn: str
    department: str


class _Block(WireModel):
    id: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _end_after_start(self) -> _Block:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self


class StaffingBlock(_Block):
    resource_id: str = Field(min_length=1)
    location_id: str = Field(min_length=1)
    counter_id: str | None = None
    skills: list[str] = Field(default_factory=list)
    capacity: int = Field(default=1, ge=0)


class UnavailabilityBlock(_Block):
    employee_id: str = Field(min_length=1)
    reason: str | None = None
    source: str = Field(min_length=1)


class StaffingBatch(WireModel):
    upsert: list[StaffingBlock] = Field(default_factory=list, max_length=MAX_BATCH)
    delete: list[str] = Field(default_factory=list, max_length=MAX_BATCH)


class UnavailabilityBatch(WireModel):
    upsert: list[UnavailabilityBlock] = Field(default_factory=list, max_length=MAX_BATCH)
    delete: list[str] = Field(default_factory=list, max_length=MAX_BATCH)


class BatchResult(WireModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    not_found: int = 0


class TransitionRequest(WireModel):
    """Body of complete/close/cancel."""

    reason: str | None = None
    notify_customer: bool = True
