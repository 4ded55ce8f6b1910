"""JCC G-Plan warp API v1 shapes (pydantic), as its documentation and recorded answers show them.

Sources (public): Open Forms' JCC REST plugin (open-formulieren/open-forms,
`src/openforms/appointments/contrib/jcc_rest/{client,types}.py` and its recorded test cassettes), which cite
JCC's API documentation (`…/G-Plan/api/api-docs-v1/index.html`). Facts taken from them:

- ids are GUIDs (`id`); `number`/`locationNumber` are legacy integers "to be removed", never used as ids;
- date-times have no offset (`2026-03-26T12:25:00`, `creationDateTime` with milliseconds): local time;
- optional fields are absent rather than `null`; a birth date reads as `2000-02-02T00:00:00`;
- an appointment lists activities with an `amount` (`activityList: [{amount, activity: {...}}]`; older
  documentation spells it `acitivityList`) and customers (`customerList`, one `isMainCustomer`);
- `POST appointment` answers 200 `{id, acknowledgeIsSuccess}`; `acknowledgeIsSuccess: false` (with `code`,
  `message`, `validateErrors`) is a refusal inside a 200; `DELETE appointment?id=` answers `{id}`, or a `code`
  when it refused;
- errors are problem+json-like: `{title, detail, instance, type, status, code, errors: [{code, name, detail}]}`,
  and JCC answers bad input (an empty activity id) with 500 `InternalException`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class JccModel(BaseModel):
    """Base: camelCase on the wire; unknown fields ignored (JCC adds fields over time)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Activity(JccModel):
    """A product ("activiteit"); `appointmentDuration` is in seconds."""

    id: str = Field(min_length=1)
    number: int | None = None
    code: str | None = None
    description: str | None = None
    appointment_duration: int | None = None
    max_count_for_event: int | None = None
    activity_group_id: str | None = None


class Country(JccModel):
    id: str | None = None
    iso_code: str | None = None
    name: str | None = None


class Address(JccModel):
    street_name: str | None = None
    house_number: str | None = None
    house_number_suffix: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: Country | None = None


class Location(JccModel):
    """A location ("vestiging")."""

    id: str = Field(min_length=1)
    description: str | None = None
    code: str | None = None
    is_active: bool | None = None
    is_default: bool | None = None
    location_number: int | None = None
    address: Address | None = None


class LocationRef(JccModel):
    """The location inside an appointment: id and description only."""

    id: str = Field(min_length=1)
    description: str | None = None


class AppointmentActivity(JccModel):
    """One line of an appointment: an activity and how many times (e.g. two passports)."""

    amount: int = Field(ge=1)
    activity: Activity


class Customer(JccModel):
    """One customer of an appointment; `gender` 0 other, 1 male, 2 female."""

    id: str | None = None
    is_main_customer: bool = False
    gender: int = 0
    first_name: str | None = None
    initials: str | None = None
    last_name_prefix: str | None = None
    last_name: str | None = None
    birth_date: datetime | None = None
    email_address: str | None = None
    phone_number: str | None = None
    mobile_phone_number: str | None = None
    social_security_number: str | None = None


class Appointment(JccModel):
    """`GET appointment?id=`: one appointment, times without offset."""

    id: str = Field(min_length=1)
    start_date_time: datetime
    end_date_time: datetime
    number: int | None = None
    activity_list: list[AppointmentActivity] = Field(
        default_factory=list, validation_alias=AliasChoices("activityList", "acitivityList"))
    customer_list: list[Customer] = Field(default_factory=list)
    location: LocationRef
    case_id: str | None = None
    message: str | None = None
    creation_date_time: datetime | None = None


class NewActivity(JccModel):
    activity_id: str = Field(min_length=1)
    amount: int = Field(ge=1)


class NewCustomer(JccModel):
    """A customer in `POST appointment` (birth date as `YYYY-MM-DD`)."""

    id: None = None
    is_main_customer: bool = True
    gender: int = 0
    first_name: str | None = None
    initials: str | None = None
    last_name_prefix: str | None = None
    last_name: str | None = None
    birth_date: str | None = None
    email_address: str | None = None
    phone_number: str | None = None
    social_security_number: str | None = None


class NewAppointment(JccModel):
    """`POST appointment`: local times WITHOUT an offset (JCC drops an offset and shifts the time)."""

    activity_list: list[NewActivity] = Field(min_length=1)
    customer_list: list[NewCustomer] = Field(min_length=1)
    from_date_time: str
    to_date_time: str
    location_id: str = Field(min_length=1)
    message: str | None = None

    def body(self) -> dict[str, object]:
        """The JSON body as JCC's documentation shows it: `id` and `fieldList` null, absent optional fields left out."""
        return {"id": None, "activityList": [a.wire() for a in self.activity_list],
                "customerList": [{**c.wire(), "id": None} for c in self.customer_list],
                "fromDateTime": self.from_date_time, "toDateTime": self.to_date_time, "locationId": self.location_id,
                "message": self.message or "", "fieldList": None}


class Acknowledge(JccModel):
    """The answer of `POST appointment` (and of a refused `DELETE`): success flag, or a code and message."""

    id: str | None = None
    acknowledge_is_success: bool | None = None
    code: int | str | None = None
    message: str | None = None
    validate_errors: list[str] | None = None


class Version(JccModel):
    """`GET version`."""

    warp_api_version: str | None = None
    afspraken_version: str | None = None


__all__ = [
    "Acknowledge",
    "Activity",
    "Address",
    "Appointment",
    "AppointmentActivity",
    "Customer",
    "JccModel",
    "Location",
    "LocationRef",
    "NewActivity",
    "NewAppointment",
    "NewCustomer",
    "Version",
]
