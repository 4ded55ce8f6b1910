"""The part of a stored appointment event the export may read: no name, e-mail, phone or notes can enter it.

The canonical `Appointment` holds personal data; these slim models keep only the fields the data contract
derives from (extra fields are dropped on parsing), so no later step can write what it never had.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Slim(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Ref(_Slim):
    id: str
    name: str | None = None


class ProductRef(_Slim):
    code: str
    name: str | None = None
    quantity: int = 1


class CustomerIds(_Slim):
    """Only what the pseudonymous key and the age band are made of; dropped right after."""

    bsn: str | None = None
    kvk: str | None = None
    birth_date: date | None = None
    anonymous: bool = False


class SnapshotData(_Slim):
    id: str
    version: int
    status: str
    start: datetime
    end: datetime
    location: Ref
    department: str | None = None
    channel: str | None = None
    products: list[ProductRef] = Field(default_factory=list)
    customer: CustomerIds | None = None
    employee: Ref | None = None
    room: Ref | None = None
    counter: Ref | None = None
    case_reference: str | None = None
    group_size: int = 1
    migrated: bool = False


class StoredEvent(BaseModel):
    """A stored CloudEvent envelope with its appointment snapshot."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    time: datetime | None = None
    data: SnapshotData
