"""Key2Burgerzaken document status → pick-up readiness: interpretation, decisions and outbound events (pure).

Value tables live in `key2burgerzaken.yaml` beside this module. Nothing here does I/O except reading
that YAML file in `load_config`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import quote

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hub.model import Appointment, AppointmentStatus, CloudEvent

DEFAULT_CONFIG = Path(__file__).with_suffix(".yaml")
EVENT_PREFIX = "nl.tilburg.reisdocumenten."
READY = EVENT_PREFIX + "document.gereed"
REMINDER = EVENT_PREFIX + "document.herinnering"
LAPSED = EVENT_PREFIX + "document.vervallen"
RESCHEDULE = EVENT_PREFIX + "uitreiking.verzetten"
ELIGIBLE = EVENT_PREFIX + "uitreiking.toegestaan"
INVITATION = EVENT_PREFIX + "uitreiking.uitnodiging"
EVENT_TYPES = (READY, REMINDER, LAPSED, RESCHEDULE, ELIGIBLE, INVITATION)
DATA_SCHEMA = "urn:afsprakenhub:schema:reisdocumenten-event:1"
#: Appointment statuses in which a pick-up can still be completed, and in which it can still be cancelled.
OPEN_STATUSES = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED, AppointmentStatus.CHECKED_IN,
                           AppointmentStatus.CALLED, AppointmentStatus.STARTED})
PENDING_STATUSES = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED})
MASK = "******"


class DocumentStatus(StrEnum):
    AANGEVRAAGD = "aangevraagd"  # applied for
    GEREED = "gereed"  # ready for pick-up (gereed voor uitreiking)
    UITGEREIKT = "uitgereikt"  # handed out
    VERVALLEN = "vervallen"  # lapsed


class Effect(StrEnum):
    """What a status change asks of the hub."""

    ACCESS = "access"  # allow booking the pick-up product (eligibility or invitation)
    READY = "ready"  # tell the customer the document is ready
    REMINDER = "reminder"  # ready and not collected after N days
    COMPLETE = "complete"  # handed out: complete the open pick-up appointment
    LAPSE = "lapse"  # lapsed: cancel the pending pick-up appointment, tell the customer


# -- configuration ----------------------------------------------------------------------------------
class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocationRule(_Config):
    id: str
    name: str


class DocumentTypeRule(_Config):
    name: str
    codes: tuple[str, ...]
    pickup_product: str


class PickupConfig(_Config):
    """The YAML value tables, validated."""

    statuses: dict[DocumentStatus, tuple[str, ...]]
    document_types: dict[str, DocumentTypeRule]
    locations: dict[str, LocationRule] = Field(default_factory=dict)
    default_location: LocationRule
    reminder_days: int = Field(default=60, ge=1)
    collect_within_days: int = Field(default=90, ge=1)
    booking_access: Literal["eligibility", "invitation"] = "eligibility"
    booking_link: str
    invitation_parameter: str = "uitnodiging"

    def status_of(self, raw: str) -> DocumentStatus | None:
        key = raw.strip().upper()
        return next((s for s, codes in self.statuses.items() if key in {c.upper() for c in codes}), None)

    def raw_statuses(self, status: DocumentStatus) -> tuple[str, ...]:
        return self.statuses.get(status, ())

    def type_of(self, raw: str) -> str | None:
        key = raw.strip().upper()
        return next((t for t, rule in self.document_types.items() if key in {c.upper() for c in rule.codes}), None)

    def pickup_products(self) -> frozenset[str]:
        return frozenset(rule.pickup_product for rule in self.document_types.values())

    def raw_types_for_product(self, product: str) -> tuple[str, ...]:
        """Every raw document-type code collected with `product`."""
        return tuple(c for rule in self.document_types.values() if rule.pickup_product == product for c in rule.codes)

    def location_of(self, raw: str | None) -> LocationRule:
        return self.locations.get((raw or "").strip().upper(), self.default_location)


def load_config(path: str | Path | None = None) -> PickupConfig:
    """Read and validate the value tables (the built-in YAML when `path` is None)."""
    with Path(path or DEFAULT_CONFIG).open(encoding="utf-8") as fh:
        return PickupConfig.model_validate(yaml.safe_load(fh))


# -- interpretation -----------------------------------------------------------------------------------
class RowLike(Protocol):
    """What is read of one view row (connectors.key2burgerzaken.DocumentRow fits)."""

    @property
    def application_number(self) -> str: ...
    @property
    def document_type(self) -> str: ...
    @property
    def document_number(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def status_date(self) -> datetime: ...
    @property
    def issuing_location(self) -> str | None: ...


def mask(document_number: str | None) -> str | None:
    """Only the last 3 characters of a document number ever leave the hub."""
    if not document_number:
        return None
    return MASK + document_number.strip()[-3:]


class Document(BaseModel):
    """A row interpreted with the value tables; carries no BSN and only the masked document number."""

    model_config = ConfigDict(frozen=True)

    application_number: str
    status: DocumentStatus
    status_date: datetime
    document_type: str
    document_type_name: str
    document_number_masked: str | None
    pickup_product: str
    location: LocationRule


def interpret(row: RowLike, config: PickupConfig) -> Document | str:
    """The Document, or the reason the row cannot be used (unknown status or document type)."""
    status = config.status_of(row.status)
    if status is None:
        return "unknown status code"
    doc_type = config.type_of(row.document_type)
    if doc_type is None:
        return "unknown document type"
    rule = config.document_types[doc_type]
    return Document(application_number=row.application_number, status=status, status_date=row.status_date,
                    document_type=doc_type, document_type_name=rule.name,
                    document_number_masked=mask(row.document_number), pickup_product=rule.pickup_product,
                    location=config.location_of(row.issuing_location))


# -- decisions -----------------------------------------------------------------------------------------
class DocumentState(BaseModel):
    """What the hub remembers of one document (link table, peer `k2b:document`); no personal data."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status: DocumentStatus | None = None
    status_date: datetime | None = None
    document_type: str | None = None
    notified_at: datetime | None = None
    reminded_at: datetime | None = None
    completed_appointments: list[str] = Field(default_factory=list)
    cancelled_appointments: list[str] = Field(default_factory=list)
    last_error: str | None = None


def reminder_due(doc: Document, now: datetime, config: PickupConfig) -> bool:
    """Ready for at least `reminder_days` and not yet past the collection window."""
    age = now - doc.status_date
    return timedelta(days=config.reminder_days) <= age < timedelta(days=config.collect_within_days)


def decide(previous: DocumentState | None, doc: Document, now: datetime, config: PickupConfig) -> list[Effect]:
    """The effects of moving from what the hub last saw to `doc` (any number of changes in between).

    A document seen for the first time when already due for a reminder gets the reminder, not both messages;
    one past the collection window gets nothing.
    """
    before = previous.status if previous else None
    if doc.status is DocumentStatus.GEREED:
        if now - doc.status_date >= timedelta(days=config.collect_within_days):
            return []
        if before is not DocumentStatus.GEREED:
            return [Effect.ACCESS, Effect.REMINDER if reminder_due(doc, now, config) else Effect.READY]
        reminded = previous is not None and previous.reminded_at is not None
        return [Effect.REMINDER] if reminder_due(doc, now, config) and not reminded else []
    if doc.status is DocumentStatus.UITGEREIKT and before is not DocumentStatus.UITGEREIKT:
        return [Effect.COMPLETE]
    if doc.status is DocumentStatus.VERVALLEN and before is not DocumentStatus.VERVALLEN:
        return [Effect.LAPSE]
    return []


def pickup_products_of(appointment: Appointment, config: PickupConfig) -> list[str]:
    """The appointment's products that collect a document."""
    wanted = config.pickup_products()
    return [p.code for p in appointment.products if p.code in wanted]


def choose_to_complete(candidates: Iterable[Appointment], handed_out: datetime) -> Appointment | None:
    """Of the open pick-up appointments, the one closest in time to the hand-out."""
    return min(candidates, key=lambda a: abs((a.start - handed_out).total_seconds()), default=None)


def readiness_problem(docs: Sequence[Document], appointment_start: datetime) -> str | None:
    """None when a document is ready by the appointment; else why not (`not-ready`, `no-document`, …)."""
    if any(d.status is DocumentStatus.GEREED and d.status_date <= appointment_start for d in docs):
        return None
    if not docs:
        return "no-document"
    latest = max(docs, key=lambda d: d.status_date)
    return {DocumentStatus.UITGEREIKT: "handed-out", DocumentStatus.VERVALLEN: "lapsed"}.get(latest.status,
                                                                                            "not-ready")


# -- outbound events (the contract TIP relies on: contract_tests/key2burgerzaken/event.schema.json) -----
class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class PickupLocation(_Wire):
    id: str
    name: str


class PickupWindow(_Wire):
    from_: date = Field(alias="from")
    until: date


class DocumentRef(_Wire):
    application_number: str
    document_type: str
    document_type_name: str
    document_number_masked: str | None
    status: DocumentStatus
    status_date: datetime


class DocumentNotice(DocumentRef):
    """Data of `document.gereed`, `document.herinnering` and `document.vervallen`."""

    pickup_product: str
    location: PickupLocation
    pickup_window: PickupWindow
    booking_link: str | None = None
    cancelled_appointments: list[str] = Field(default_factory=list)


class BookingAccess(_Wire):
    """Data of `uitreiking.toegestaan` / `uitreiking.uitnodiging`: who may book what, where and until when."""

    mode: Literal["eligibility", "invitation"]
    application_number: str
    document_type: str
    pickup_product: str
    location: PickupLocation
    valid_from: date
    valid_until: date
    booking_link: str
    invitation_code: str | None = None


class RescheduleRequest(_Wire):
    """Data of `uitreiking.verzetten`: a pick-up booked for a document not ready by the appointment."""

    appointment_id: str
    appointment_start: datetime
    pickup_products: list[str]
    reason: str
    documents: list[DocumentRef]


def _ref(doc: Document) -> DocumentRef:
    return DocumentRef(application_number=doc.application_number, document_type=doc.document_type,
                       document_type_name=doc.document_type_name, document_number_masked=doc.document_number_masked,
                       status=doc.status, status_date=doc.status_date)


def window(doc: Document, config: PickupConfig) -> PickupWindow:
    start = doc.status_date.date()
    return PickupWindow(**{"from": start, "until": start + timedelta(days=config.collect_within_days)})


def invitation_code(key: str, doc: Document, valid_until: date) -> str:
    """A code the booking page can check with the same key; says nothing about the customer."""
    msg = f"{doc.application_number}:{doc.pickup_product}:{valid_until.isoformat()}".encode()
    digest = hmac.new(key.encode(), msg, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:16]


def booking_link(doc: Document, config: PickupConfig, code: str | None = None) -> str:
    link = config.booking_link.format(product=quote(doc.pickup_product), location=quote(doc.location.id))
    if code:
        link += ("&" if "?" in link else "?") + f"{config.invitation_parameter}={quote(code)}"
    return link


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _event(source: str, type_: str, event_id: str, subject: str, at: datetime, data: _Wire) -> CloudEvent:
    return CloudEvent(specversion="1.0", id=event_id, source=source, type=type_, subject=subject, time=at,
                      datacontenttype="application/json", dataschema=DATA_SCHEMA,
                      data=data.model_dump(mode="json", by_alias=True))


def access_event(doc: Document, config: PickupConfig, source: str, invitation_key: str) -> CloudEvent:
    """Eligibility or invitation for the pick-up product (by configuration)."""
    win = window(doc, config)
    code = invitation_code(invitation_key, doc, win.until) if config.booking_access == "invitation" else None
    data = BookingAccess(mode=config.booking_access, application_number=doc.application_number,
                         document_type=doc.document_type, pickup_product=doc.pickup_product,
                         location=PickupLocation(id=doc.location.id, name=doc.location.name),
                         valid_from=win.from_, valid_until=win.until, booking_link=booking_link(doc, config, code),
                         invitation_code=code)
    type_ = INVITATION if code else ELIGIBLE
    kind = type_.rsplit(".", 1)[1]
    return _event(source, type_, f"k2b-{kind}-{doc.application_number}-{_stamp(doc.status_date)}",
                  doc.application_number, doc.status_date, data)


def notice_event(type_: str, doc: Document, config: PickupConfig, source: str, at: datetime,
                 cancelled: Sequence[str] = (), invitation_key: str | None = None) -> CloudEvent:
    """`document.gereed`, `document.herinnering` or `document.vervallen` for one document."""
    if type_ not in (READY, REMINDER, LAPSED):
        raise ValueError(f"not a document notice: {type_}")
    link = None
    if type_ != LAPSED:
        win = window(doc, config)
        code = (invitation_code(invitation_key, doc, win.until)
                if config.booking_access == "invitation" and invitation_key else None)
        link = booking_link(doc, config, code)
    data = DocumentNotice(**_ref(doc).model_dump(), pickup_product=doc.pickup_product,
                          location=PickupLocation(id=doc.location.id, name=doc.location.name),
                          pickup_window=window(doc, config), booking_link=link, cancelled_appointments=list(cancelled))
    kind = type_.rsplit(".", 1)[1]
    return _event(source, type_, f"k2b-{kind}-{doc.application_number}-{_stamp(doc.status_date)}",
                  doc.application_number, at, data)


def reschedule_event(appointment: Appointment, products: Sequence[str], reason: str, docs: Sequence[Document],
                     source: str, at: datetime) -> CloudEvent:
    """Ask the customer (through TIP) to move a pick-up booked before the document is ready."""
    data = RescheduleRequest(appointment_id=appointment.id, appointment_start=appointment.start,
                             pickup_products=list(products), reason=reason, documents=[_ref(d) for d in docs])
    return _event(source, RESCHEDULE, f"pickup-verzetten-{appointment.id}", appointment.id, at, data)
