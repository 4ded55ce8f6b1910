"""From stored appointment events to the rows of the star schema (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flows.datalake.privacy import age_band, customer_key, customer_type
from flows.datalake.snapshot import StoredEvent
from hub.model import APPOINTMENT_EVENT_PREFIX

AMS = ZoneInfo("Europe/Amsterdam")
DIMENSIONS = ("dim_location", "dim_product", "dim_department", "dim_channel", "dim_room")
VISIT_KINDS = ("checked_in", "called", "started", "completed", "no_show")
Cell = str | int | float | bool | datetime | date | None
Row = dict[str, Cell]  # one table row, column name → value (typed by the contract's schema)


@dataclass(frozen=True)
class Pseudonymiser:
    """The privacy settings every row is made with."""

    secret: str
    key_version: str
    employee_ids: bool


@dataclass(frozen=True)
class EventRecord:
    """One stored appointment event: the inbox id and time, and its parsed slim snapshot."""

    inbox_id: int
    received_at: datetime
    event: StoredEvent

    @property
    def kind(self) -> str:
        return self.event.type.removeprefix(APPOINTMENT_EVENT_PREFIX)

    @property
    def event_at(self) -> datetime:
        return self.event.time or self.received_at


def date_key(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def local_date_key(moment: datetime) -> int:
    return date_key(moment.astimezone(AMS).date())


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def appointment_columns(rec: EventRecord, p: Pseudonymiser) -> Row:
    """The columns fact_appointment_version and fact_appointment share."""
    a = rec.event.data
    c = a.customer
    bsn, kvk = (c.bsn, c.kvk) if c is not None and not c.anonymous else (None, None)
    start_local = a.start.astimezone(AMS).date()
    return {
        "appointment_id": a.id, "version": a.version, "status": a.status,
        "start_at": _utc(a.start), "end_at": _utc(a.end), "start_date_key": date_key(start_local),
        "duration_minutes": int((a.end - a.start).total_seconds() // 60),
        "location_key": a.location.id, "department_key": a.department, "channel_key": a.channel,
        "product_key": a.products[0].code if a.products else None,
        "product_count": sum(x.quantity for x in a.products),
        "room_key": a.room.id if a.room else None, "counter_key": a.counter.id if a.counter else None,
        "employee_id": a.employee.id if a.employee and p.employee_ids else None,
        "customer_key": customer_key(p.secret, bsn=bsn, kvk=kvk),
        "customer_key_version": p.key_version,
        "customer_type": customer_type(present=c is not None, anonymous=bool(c and c.anonymous), bsn=bsn, kvk=kvk),
        "age_band": age_band(c.birth_date, start_local) if c is not None and bsn else None,
        "group_size": a.group_size, "has_case_reference": bool(a.case_reference), "migrated": a.migrated,
    }


def version_row(rec: EventRecord, p: Pseudonymiser, cache: dict[int, Row] | None = None) -> Row:
    columns = appointment_columns(rec, p)
    if cache is not None:
        cache[rec.inbox_id] = columns
    return {"event_id": rec.inbox_id, "event_kind": rec.kind, "event_at": _utc(rec.event_at),
            "received_at": _utc(rec.received_at), **columns}


def product_rows(rec: EventRecord) -> list[Row]:
    a = rec.event.data
    merged: dict[str, int] = {}
    for product in a.products:
        merged[product.code] = merged.get(product.code, 0) + product.quantity
    return [{"event_id": rec.inbox_id, "appointment_id": a.id, "version": a.version, "product_key": code,
             "quantity": quantity} for code, quantity in merged.items()]


def current_rows(records: Iterable[EventRecord], p: Pseudonymiser, cache: dict[int, Row] | None = None) -> list[Row]:
    """One row per appointment: its highest version (the latest received among equal versions)."""
    latest: dict[str, EventRecord] = {}
    for rec in records:
        seen = latest.get(rec.event.data.id)
        if seen is None or (rec.event.data.version, rec.inbox_id) >= (seen.event.data.version, seen.inbox_id):
            latest[rec.event.data.id] = rec
    rows = []
    for rec in latest.values():
        cached = cache.get(rec.inbox_id) if cache is not None else None
        row = dict(cached) if cached is not None else appointment_columns(rec, p)
        row.update(last_event_kind=rec.kind, last_event_at=_utc(rec.event_at),
                   is_cancelled=row["status"] == "cancelled", is_no_show=row["status"] == "no_show")
        rows.append(row)
    return rows


def visit_row(records: list[EventRecord], p: Pseudonymiser) -> Row | None:
    """The visit of one appointment from all its events; None when nothing visit-like happened."""
    first: dict[str, datetime] = {}
    for rec in sorted(records, key=lambda r: r.inbox_id):
        if rec.kind in VISIT_KINDS:
            first.setdefault(rec.kind, _utc(rec.event_at))
    if not first:
        return None
    latest = max(records, key=lambda r: (r.event.data.version, r.inbox_id))
    a = latest.event.data

    def seconds(begin: str, end: str) -> float | None:
        if begin in first and end in first:
            return (first[end] - first[begin]).total_seconds()
        return None

    outcome = "completed" if "completed" in first else "no_show" if "no_show" in first else "in_progress"
    return {
        "appointment_id": a.id, "start_date_key": local_date_key(a.start), "planned_start_at": _utc(a.start),
        "location_key": a.location.id, "department_key": a.department, "channel_key": a.channel,
        "product_key": a.products[0].code if a.products else None,
        "room_key": a.room.id if a.room else None, "counter_key": a.counter.id if a.counter else None,
        "employee_id": a.employee.id if a.employee and p.employee_ids else None,
        "checked_in_at": first.get("checked_in"), "called_at": first.get("called"),
        "started_at": first.get("started"), "completed_at": first.get("completed"),
        "no_show_at": first.get("no_show"), "outcome": outcome,
        "waiting_seconds": seconds("checked_in", "called"), "service_seconds": seconds("started", "completed"),
    }


def dimension_rows(records: Iterable[EventRecord]) -> dict[str, list[Row]]:
    """The dimension members the events mention (names as the newest event gives them)."""
    locations: dict[str, str | None] = {}
    products: dict[str, str | None] = {}
    departments: set[str] = set()
    channels: set[str] = set()
    rooms: dict[str, tuple[str | None, str]] = {}
    for rec in sorted(records, key=lambda r: r.inbox_id):
        a = rec.event.data
        locations[a.location.id] = a.location.name or locations.get(a.location.id)
        for x in a.products:
            products[x.code] = x.name or products.get(x.code)
        if a.department:
            departments.add(a.department)
        if a.channel:
            channels.add(a.channel)
        if a.room:
            rooms[a.room.id] = (a.room.name or rooms.get(a.room.id, (None, ""))[0], "room")
        if a.counter:
            rooms[a.counter.id] = (a.counter.name or rooms.get(a.counter.id, (None, ""))[0], "counter")
    members: dict[str, list[Row]] = {
        "dim_location": [{"location_key": k, "location_name": v} for k, v in locations.items()],
        "dim_product": [{"product_key": k, "product_name": v} for k, v in products.items()],
        "dim_department": [{"department_key": k, "department_name": k} for k in sorted(departments)],
        "dim_channel": [{"channel_key": k, "channel_name": k} for k in sorted(channels)],
        "dim_room": [{"room_key": k, "room_name": v[0], "room_kind": v[1]} for k, v in rooms.items()],
    }
    return members


def date_rows(first: date, last: date, already: tuple[date, date] | None = None) -> list[Row]:
    """Every day from `first` to `last` inclusive, except those in the span `already` (in the table)."""
    rows: list[Row] = []
    day = first
    while day <= last:
        if already is not None and already[0] <= day <= already[1]:
            day = date.fromordinal(day.toordinal() + 1)
            continue
        iso = day.isocalendar()
        rows.append({"date_key": date_key(day), "date": day, "year": day.year, "month": day.month, "day": day.day,
                     "iso_week": iso.week, "weekday": iso.weekday, "is_weekend": iso.weekday >= 6})
        day = date.fromordinal(day.toordinal() + 1)
    return rows
