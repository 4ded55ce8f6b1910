"""Appointment → Outlook events (pure): the employee's private event and the room's door-panel event.

The employee event holds the customer's name (body only), location, counter/room and booking reference;
the room event shows only the activity and the employee (the door panel hangs in a public corridor).
Neither ever holds a BSN, birth date, e-mail address or phone number; times are in Europe/Amsterdam.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from connectors.outlook.models import (
    HUB_TRANSACTION_PREFIX,
    DateTimeTimeZone,
    EventDraft,
    EventLocation,
    ItemBody,
)
from hub.logging import redact_text
from hub.model import Appointment, AppointmentStatus

Kind = Literal["employee", "room"]
KINDS: tuple[Kind, ...] = ("employee", "room")
#: Statuses whose events are removed (or marked cancelled, by configuration).
ENDED = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW})
#: Statuses that leave the calendars as they are.
LEAVE = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CLOSED})


class OutlookTexts(BaseModel):
    """The editable table `mappings/outlook.yaml`."""

    model_config = ConfigDict(frozen=True)

    room_activity: dict[str, str]
    default_room_activity: str
    labels: dict[str, str]


@lru_cache(maxsize=1)
def texts() -> OutlookTexts:
    """The packaged table (read once)."""
    raw = yaml.safe_load(Path(__file__).with_name("outlook.yaml").read_text(encoding="utf-8"))
    return OutlookTexts.model_validate(raw)


@dataclass(frozen=True)
class CalendarOptions:
    """What configuration adds to the mapping."""

    time_zone: str = "Europe/Amsterdam"
    employee_categories: tuple[str, ...] = ("Afspraak",)
    room_categories: tuple[str, ...] = ("Afspraak",)
    mark_cancelled: bool = False
    texts: OutlookTexts = field(default_factory=texts)


def mailbox_for(appointment: Appointment, kind: Kind) -> str | None:
    """The calendar an appointment belongs in: the employee's UPN or the room's mailbox (lower case)."""
    address = (appointment.employee.upn if appointment.employee else None) if kind == "employee" else (
        appointment.room.mailbox if appointment.room else None)
    return address.strip().lower() if address and address.strip() else None


def transaction_id(appointment_id: str, kind: Kind, mailbox: str, generation: int) -> str:
    """Stable per appointment, calendar and placement: a retried create repeats it, Graph makes one event."""
    digest = hashlib.sha256(f"{appointment_id}\x1f{kind}\x1f{mailbox}\x1f{generation}".encode()).hexdigest()
    return f"{HUB_TRANSACTION_PREFIX}{digest[:40]}"


def _clean(text: str) -> str:
    """Last guard: no BSN, e-mail address or phone number reaches a calendar."""
    return redact_text(text)


def _products(appointment: Appointment) -> str:
    names = [p.name or p.code for p in appointment.products]
    return ", ".join(names) or "Afspraak"


def _activity(appointment: Appointment, options: CalendarOptions) -> str:
    table = options.texts
    labels = [table.room_activity.get(p.code, table.default_room_activity) for p in appointment.products]
    return ", ".join(dict.fromkeys(labels)) or table.default_room_activity


def _employee_name(appointment: Appointment) -> str:
    employee = appointment.employee
    if employee is None:
        return ""
    return employee.name or (employee.upn.split("@", 1)[0] if employee.upn else employee.id)


def _times(appointment: Appointment, options: CalendarOptions) -> tuple[DateTimeTimeZone, DateTimeTimeZone]:
    return (DateTimeTimeZone.of(appointment.start, options.time_zone),
            DateTimeTimeZone.of(appointment.end, options.time_zone))


def _status_prefix(appointment: Appointment, options: CalendarOptions) -> str:
    if appointment.status not in ENDED:
        return ""
    key = "no_show_prefix" if appointment.status == AppointmentStatus.NO_SHOW else "cancelled_prefix"
    return options.texts.labels[key]


def _body(rows: list[tuple[str, str]]) -> ItemBody:
    html = "".join(f"<p><b>{escape(k)}:</b> {escape(_clean(v))}</p>" for k, v in rows if v)
    return ItemBody(content_type="html", content=html)


def employee_event(appointment: Appointment, options: CalendarOptions, transaction: str | None = None) -> EventDraft:
    """The employee's event: products as subject; customer name, place and reference in the body; private."""
    labels = options.texts.labels
    customer = labels["anonymous"] if appointment.is_anonymous else (
        appointment.customer.display_name if appointment.customer else "") or labels["anonymous"]
    place = appointment.location.name or appointment.location.id
    rows = [(labels["customer"], customer), (labels["location"], place),
            (labels["counter"], appointment.counter.name or appointment.counter.id if appointment.counter else ""),
            (labels["room"], appointment.room.name or appointment.room.id if appointment.room else ""),
            (labels["reference"], appointment.id),
            (labels["group_size"], str(appointment.group_size) if appointment.group_size > 1 else "")]
    where = ", ".join(x for x in (place, rows[3][1] or rows[2][1]) if x)
    start, end = _times(appointment, options)
    ended = appointment.status in ENDED
    return EventDraft(
        subject=_clean(_status_prefix(appointment, options) + _products(appointment)), body=_body(rows),
        start=start, end=end, location=EventLocation(display_name=_clean(where)) if where else None,
        categories=list(options.employee_categories), sensitivity="private", show_as="free" if ended else "busy",
        is_reminder_on=False, transaction_id=transaction)


def room_event(appointment: Appointment, options: CalendarOptions, transaction: str | None = None) -> EventDraft:
    """The room's event for the door panel: activity and employee, nothing about the customer."""
    employee = _employee_name(appointment)
    activity = _activity(appointment, options)
    subject = f"{activity} - {employee}" if employee else activity
    room = appointment.room.name or appointment.room.id if appointment.room else ""
    start, end = _times(appointment, options)
    ended = appointment.status in ENDED
    return EventDraft(
        subject=_clean(_status_prefix(appointment, options) + subject),
        body=_body([(options.texts.labels["reference"], appointment.id)]),
        start=start, end=end, location=EventLocation(display_name=_clean(room)) if room else None,
        categories=list(options.room_categories), sensitivity="normal", show_as="free" if ended else "busy",
        is_reminder_on=False, transaction_id=transaction)


def event_for(kind: Kind, appointment: Appointment, options: CalendarOptions,
              transaction: str | None = None) -> EventDraft:
    return (employee_event if kind == "employee" else room_event)(appointment, options, transaction)


__all__ = ["ENDED", "KINDS", "LEAVE", "CalendarOptions", "Kind", "OutlookTexts", "employee_event", "event_for",
           "mailbox_for", "room_event", "texts", "transaction_id"]
