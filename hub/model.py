"""The canonical model: what an appointment and an inbound event are (BRIEF §4).

This is the one definition of an appointment in the product; every flow, mapping and
connector translates from and to these classes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from hub.bsn import passes_elfproef
from hub.email_fast import email_fast_path

APPOINTMENT_EVENT_PREFIX = "nl.tilburg.afspraken.appointment."
ZAKEN_EVENT_PREFIX = "nl.overheid.zaken."


class AppointmentStatus(StrEnum):
    """The states an appointment can be in; event types use the same words."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    CALLED = "called"
    STARTED = "started"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CLOSED = "closed"  # closed by the hub, e.g. because its zaak was closed


#: The event kinds TIP sends (`nl.tilburg.afspraken.appointment.<kind>`); `closed` is a status only.
APPOINTMENT_EVENT_KINDS: frozenset[str] = frozenset(s.value for s in AppointmentStatus) - {"closed"}


def _check_bsn(value: str | None) -> str | None:
    if value is not None and not passes_elfproef(value):
        raise ValueError("not a valid BSN (11-proef fails)")
    return value


def _check_kvk(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{8}", value):
        raise ValueError("a KvK number is 8 digits")
    return value


def _date_time_text(value: Any) -> Any:
    """RFC 3339 text (or a datetime built in code); a bare number is not a time here (seconds? millis?)."""
    if not isinstance(value, str | datetime):
        raise ValueError("time must be an RFC 3339 date-time text with a UTC offset")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must carry a UTC offset")
    return value


def _nul_at(value: Any, path: str = "") -> str | None:
    """Where in a JSON value a string (or key) holds a NUL character, e.g. `data.customer.email`."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return path or "body"
            where = f"{path}.{key}" if path else str(key)
            found = _nul_at(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{path}[{index}]")
            if found:
                return found
    return None


def refuse_nul(raw: Any) -> Any:
    """A `mode="before"` model check: PostgreSQL text refuses NUL characters, so no input may hold one."""
    where = _nul_at(raw)
    if where:
        raise ValueError(f"text must not contain NUL characters (at {where})")
    return raw


Bsn = Annotated[str | None, AfterValidator(_check_bsn)]
KvkNumber = Annotated[str | None, AfterValidator(_check_kvk)]
DateTimeText = Annotated[datetime, BeforeValidator(_date_time_text)]
AwareDatetime = Annotated[DateTimeText, AfterValidator(_aware)]


class CanonicalModel(BaseModel):
    """Base: camelCase on the wire, snake_case in code, unknown fields kept but ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )

    def wire(self) -> dict[str, Any]:
        """The JSON-ready form with the wire (camelCase) names."""
        return self.model_dump(mode="json", by_alias=True)


class Location(CanonicalModel):
    id: str = Field(min_length=1)
    name: str | None = None


class Product(CanonicalModel):
    code: str = Field(min_length=1)
    name: str | None = None
    quantity: int = Field(default=1, ge=1)


class Identification(StrEnum):
    """How the customer was identified when the appointment was made (`customer.identification`)."""

    DIGID = "digid"  # logged in with DigiD: the BSN is the citizen's own
    EHERKENNING = "eherkenning"  # logged in with eHerkenning: the KvK number is the business's own
    VERIFIED_AT_COUNTER = "verified-at-counter"  # an employee checked an identity document
    SELF_DECLARED = "self-declared"  # typed into a form by the customer or someone else: proves nothing


class Customer(CanonicalModel):
    bsn: Bsn = None
    kvk: KvkNumber = None
    initials: str | None = None
    first_name: str | None = None
    last_name_prefix: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    email: Annotated[EmailStr, WrapValidator(email_fast_path)] | None = None
    phone: str | None = None
    language: str | None = None
    anonymous: bool = False
    #: Absent means self-declared: only an authenticated level lets a BSN or KvK number decide the customer.
    identification: Identification | None = Field(
        default=None,
        description="How the customer was identified: digid (the BSN is the citizen's own), eherkenning (the KvK "
                    "number is the business's own), verified-at-counter (an employee checked an identity document) "
                    "or self-declared (typed into a form). Absent or null means self-declared: only the first "
                    "three let a BSN or KvK number decide whose customer view a contact moment lands in.")

    @property
    def identified_by(self) -> Identification:
        """The identification level, `self-declared` when the register sent none."""
        return self.identification or Identification.SELF_DECLARED

    @property
    def display_name(self) -> str:
        """Name as a person reads it: first name (or initials), prefix, last name."""
        parts = [self.first_name or self.initials, self.last_name_prefix, self.last_name]
        return " ".join(p for p in parts if p)


class Employee(CanonicalModel):
    id: str = Field(min_length=1)
    upn: str | None = None
    name: str | None = None


class Room(CanonicalModel):
    id: str = Field(min_length=1)
    mailbox: str | None = None
    name: str | None = None


class Counter(CanonicalModel):
    id: str = Field(min_length=1)
    name: str | None = None


def _whole_number(value: Any) -> Any:
    """JSON `true` is not the number 1: a version is a whole number, never a boolean."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not a boolean")
    return value


#: The store's integer columns are 32-bit on PostgreSQL: a larger version could not be stored.
MAX_VERSION = 2**31 - 1
Version = Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_VERSION)]


class Appointment(CanonicalModel):
    """The full snapshot of one appointment after a change."""

    id: str = Field(min_length=1, max_length=200)
    version: Version
    status: AppointmentStatus
    start: AwareDatetime
    end: AwareDatetime
    location: Location
    department: str | None = None
    channel: str | None = None
    products: list[Product] = Field(default_factory=list)
    customer: Customer | None = None
    employee: Employee | None = None
    room: Room | None = None
    counter: Counter | None = None
    case_reference: str | None = None
    group_size: int = Field(default=1, ge=1)
    notes: str | None = None
    external_id: str | None = None
    migrated: bool = False

    @model_validator(mode="after")
    def _end_after_start(self) -> Appointment:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self

    @property
    def is_anonymous(self) -> bool:
        return self.customer is None or self.customer.anonymous


#: CloudEvents 1.0: attribute names are lowercase letters a-z and digits 0-9 only.
ATTRIBUTE_NAME = re.compile(r"[a-z0-9]+")
#: The context attributes the spec defines; anything else in an envelope is an extension.
CORE_ATTRIBUTES = frozenset({"specversion", "id", "source", "type", "subject", "time", "datacontenttype",
                             "dataschema"})
#: Validation context key (`parse_event(nul_free=True)`): the input is known to hold no NUL character.
NUL_FREE = "nul_free"
_NUL_FREE = {NUL_FREE: True}
#: CloudEvents Integer is a signed 32-bit number.
CE_INTEGER = range(-(2**31), 2**31)


def _extension_problem(name: str, value: Any) -> str | None:
    """Why an extension attribute breaks the CloudEvents type system, or None when it is fine."""
    if not ATTRIBUTE_NAME.fullmatch(name):
        return f"attribute name {name!r} must be lowercase letters a-z and digits 0-9 only"
    if value is None or isinstance(value, bool | str):
        return None
    if isinstance(value, float) and value.is_integer():  # JSON does not tell 5 from 5.0
        value = int(value)
    if isinstance(value, int):
        return None if value in CE_INTEGER else f"attribute {name!r} is an Integer outside the signed 32-bit range"
    return f"attribute {name!r} must be a String, Integer or Boolean (not a JSON object, array or fraction)"


def decode_data_base64(raw: dict[str, Any]) -> dict[str, Any]:
    """A structured event with `data_base64` (binary data): `data` as its decoded form, JSON when declared so."""
    encoded = raw.get("data_base64")
    if encoded is None or raw.get("data") is not None:
        return raw
    if not isinstance(encoded, str):
        raise ValueError("data_base64 must be a base64 string")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("data_base64 is not valid base64") from None
    kind = str(raw.get("datacontenttype") or "application/json").split(";")[0].strip().lower()
    data: Any = blob
    if kind == "application/json" or kind.endswith("+json"):
        try:
            data = json.loads(blob)
        except (UnicodeDecodeError, ValueError):
            data = encoded  # not JSON after all: an appointment event's check refuses it, others keep the text
    else:
        try:
            data = blob.decode()
        except UnicodeDecodeError:
            data = encoded  # opaque bytes: kept as the base64 text
    return {**raw, "data": data}


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope in structured JSON mode; extension attributes are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=500)
    source: str = Field(min_length=1, max_length=2000)
    type: str = Field(min_length=1, max_length=500)
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    time: AwareDatetime | None = None
    datacontenttype: str | None = Field(default=None, min_length=1)
    dataschema: str | None = Field(default=None, min_length=1)
    data: Any = None

    @model_validator(mode="before")
    @classmethod
    def _no_nul_anywhere(cls, raw: Any, info: ValidationInfo) -> Any:
        if not (isinstance(info.context, dict) and info.context.get(NUL_FREE)):
            raw = refuse_nul(raw)
        if isinstance(raw, dict):
            for name, value in raw.items():
                if name in CORE_ATTRIBUTES or name in ("data", "data_base64"):
                    continue
                problem = _extension_problem(str(name), value)
                if problem:
                    raise ValueError(problem)
            raw = decode_data_base64(raw)
        return raw

    @property
    def dedupe_key(self) -> str:
        """What makes two deliveries the same event (CloudEvents: source + id)."""
        return f"ce:{self.source}\x1f{self.id}"

    @property
    def appointment_kind(self) -> str | None:
        """`booked`, `cancelled`, … for appointment events, else None."""
        if self.type.startswith(APPOINTMENT_EVENT_PREFIX):
            return self.type.removeprefix(APPOINTMENT_EVENT_PREFIX)
        return None


class AppointmentEvent(CloudEvent):
    """An appointment CloudEvent whose data is the appointment snapshot."""

    data: Appointment

    @model_validator(mode="after")
    def _subject_is_appointment(self) -> AppointmentEvent:
        if self.appointment_kind not in APPOINTMENT_EVENT_KINDS:
            raise ValueError(
                f"unknown appointment event type; expected {APPOINTMENT_EVENT_PREFIX}"
                f"<{'|'.join(sorted(APPOINTMENT_EVENT_KINDS))}>"
            )
        if self.subject is not None and self.subject != self.data.id:
            raise ValueError("subject must equal data.id (the appointment id): the two fields disagree")
        return self

    @property
    def appointment_id(self) -> str:
        """The appointment this event is about: always `data.id` (`subject`, when sent, must agree)."""
        return self.data.id


def parse_event(raw: object, *, nul_free: bool = False) -> CloudEvent:
    """Validate one structured CloudEvent; appointment events get a typed snapshot.

    `nul_free`: the caller knows no text in `raw` holds a NUL (e.g. it parsed JSON without a `\\u0000` escape),
    so the model's walk looking for one is skipped. Raises pydantic's ValidationError naming the field and the
    reason: for an appointment event whose envelope is invalid, the envelope's findings only.
    """
    context = _NUL_FREE if nul_free else None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if isinstance(kind, str) and kind.startswith(APPOINTMENT_EVENT_PREFIX):
        try:  # validated once when valid; an invalid one is answered as below
            return AppointmentEvent.model_validate(raw, context=context)
        except ValidationError:
            pass
    envelope = CloudEvent.model_validate(raw, context=context)
    if envelope.type.startswith(APPOINTMENT_EVENT_PREFIX):
        return AppointmentEvent.model_validate(raw, context=context)
    return envelope


__all__ = [
    "APPOINTMENT_EVENT_KINDS",
    "APPOINTMENT_EVENT_PREFIX",
    "MAX_VERSION",
    "ZAKEN_EVENT_PREFIX",
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "CloudEvent",
    "Counter",
    "Customer",
    "DateTimeText",
    "Employee",
    "Identification",
    "Location",
    "Product",
    "Room",
    "ValidationError",
    "parse_event",
    "refuse_nul",
]
