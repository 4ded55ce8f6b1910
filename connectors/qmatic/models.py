"""Qmatic Orchestra Calendar public API shapes (v1 and v2), as its documentation and recorded answers show them.

Sources (public): Open Forms' Qmatic plugin (open-formulieren/open-forms,
`src/openforms/appointments/contrib/qmatic/{client,plugin}.py`, `tests/mock/*.json`, its recorded cassettes
and `docs/configuration/appointment/qmatic.rst`). Facts taken from them:

- authentication is an API key in the `X-Api-Key` header; paths start with `v1/` or `v2/` under the API root;
- ids are long hexadecimal public ids (`publicId`, 30-40 characters), never numbers;
- lists come wrapped: `{"branchList": [...]}`, `{"serviceList": [...]}`, `{"branch": {...}}`,
  `{"appointment": {...}}`, `{"dates": [...]}`, `{"times": [...]}`, each with `notifications` and `meta`;
- a branch names its `timeZone`; available dates (`2016-11-08T00:00:00`) and times (`09:00`) carry no offset
  and are wall-clock time of the branch; an appointment's `start`/`end` carry an offset, in UTC, written as
  `+00:00` or `+0000`;
- `created`/`updated` and a customer's `dateOfBirth` are epoch milliseconds; a booking sends `dateOfBirth` as
  `YYYY-MM-DD`;
- `status` is a number (20: booked);
- a service's `duration` and `additionalCustomerDuration` are minutes; `numberOfCustomers` applies to every
  service of a booking (v2: several customers and several services in one appointment);
- a 500 may carry its reason in an `error_message` header; error bodies look like `{"msg": "…"}`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

#: Qmatic's epoch-millisecond birth dates are midnight in the Netherlands.
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _utc_text(value: Any) -> Any:
    """Qmatic writes `+0000` as well as `+00:00`; both are read as the same instant."""
    if isinstance(value, str) and len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        return f"{value[:-2]}:{value[-2:]}"
    return value


def _birth_date(value: Any) -> Any:
    """`dateOfBirth` in an answer is epoch milliseconds (midnight in the Netherlands); a booking sends a date."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC).astimezone(AMSTERDAM).date()
    return value


OffsetDateTime = Annotated[datetime, BeforeValidator(_utc_text)]
BirthDate = Annotated[date | None, BeforeValidator(_birth_date)]


class QmaticModel(BaseModel):
    """Base: camelCase on the wire; unknown fields ignored (`custom`, `meta`, …)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Service(QmaticModel):
    """A service (product); durations in minutes."""

    public_id: str = Field(min_length=1)
    name: str
    duration: int | None = None
    additional_customer_duration: int = 0
    active: bool = True
    public_enabled: bool = True


class Branch(QmaticModel):
    """A branch (location) with its time zone."""

    public_id: str = Field(min_length=1)
    name: str
    time_zone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_zip: str | None = None
    address_city: str | None = None


class Customer(QmaticModel):
    public_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: BirthDate = None
    identification_number: str | None = None
    external_id: str | None = None


class Resource(QmaticModel):
    name: str | None = None


class Appointment(QmaticModel):
    """An appointment (`GET v1/appointments/{publicId}` inside `appointment`; the v2 booking's answer)."""

    public_id: str = Field(min_length=1)
    start: OffsetDateTime
    end: OffsetDateTime
    status: int | None = None
    title: str | None = None
    notes: str | None = None
    services: list[Service] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    branch: Branch
    resource: Resource | None = None
    created: int | None = None
    updated: int | None = None


class AppointmentEnvelope(QmaticModel):
    appointment: Appointment


class BranchList(QmaticModel):
    branch_list: list[Branch]


class BranchEnvelope(QmaticModel):
    branch: Branch


class ServiceList(QmaticModel):
    service_list: list[Service]


class NewCustomer(QmaticModel):
    """A customer in a booking (`dateOfBirth` as `YYYY-MM-DD`)."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: str | None = None
    identification_number: str | None = None


class ServiceRef(QmaticModel):
    public_id: str = Field(min_length=1)


class NewBooking(QmaticModel):
    """`POST v2/branches/{branch}/dates/{date}/times/{time}/book`: several customers and services at once."""

    title: str
    customers: list[NewCustomer] = Field(min_length=1)
    services: list[ServiceRef] = Field(min_length=1)
    notes: str | None = None

    def body(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


__all__ = [
    "Appointment",
    "AppointmentEnvelope",
    "Branch",
    "BranchEnvelope",
    "BranchList",
    "Customer",
    "NewBooking",
    "NewCustomer",
    "QmaticModel",
    "Service",
    "ServiceList",
    "ServiceRef",
]
