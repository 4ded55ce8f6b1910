"""The store reads of the datalake export, as plain rows: appointment events, links and deliveries.

The export (flows/datalake/source.py) parses and shapes them; nothing here knows the lake's tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import DateTime, Text, func, select, tuple_, type_coerce
from sqlalchemy import cast as sql_cast

from hub.model import APPOINTMENT_EVENT_PREFIX
from hub.store.db import Database
from hub.store.tables import Delivery, InboxEvent, Link

RawEvent = tuple[int, datetime, str | None]  # (inbox id, received at, payload JSON text)
LinkRow = tuple[str, str, int | None, str | None, datetime]  # (appointment, peer, version, remote id, updated at)
DeliveryRow = tuple[str, datetime, str, datetime | None, datetime]  # (flow, created, status, finished, received)

IN_CHUNK = 500  # ids per IN (...) list: well below SQLite's and PostgreSQL's parameter limits
APPOINTMENT = InboxEvent.type.like(APPOINTMENT_EVENT_PREFIX.replace("_", r"\_") + "%", escape="\\")
PAYLOAD_TEXT = sql_cast(InboxEvent.payload, Text)  # the JSON text: parsed and validated in one pass by pydantic-core
#: received_at without the per-row UtcDateTime conversion (SQLite gives naive UTC values: the reader makes them
#: aware)
RECEIVED = type_coerce(InboxEvent.received_at, DateTime(timezone=True))


def cast_rows(rows: Sequence[Any]) -> list[RawEvent]:
    """Fetched rows as the export reads them (a Row is a tuple; no copy)."""
    return cast(list[RawEvent], rows)


def last_settled_id(db: Database, cutoff: datetime) -> int:
    """The highest appointment event id received before `cutoff` (younger ones wait for the next run)."""
    with db.unit_of_work() as s:
        return s.scalar(select(func.max(InboxEvent.id)).where(APPOINTMENT, InboxEvent.received_at < cutoff)) or 0


def first_id_since(db: Database, since: datetime) -> int:
    """The id just before the first appointment event received at or after `since`."""
    with db.unit_of_work() as s:
        first = s.scalar(select(func.min(InboxEvent.id)).where(APPOINTMENT, InboxEvent.received_at >= since))
    return (first - 1) if first is not None else 0


def count_events(db: Database, after_id: int, up_to_id: int) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent).where(
            APPOINTMENT, InboxEvent.id > after_id, InboxEvent.id <= up_to_id)) or 0


def event_rows(db: Database, after_id: int, up_to_id: int, limit: int) -> list[RawEvent]:
    """Up to `limit` appointment events with after_id < id <= up_to_id, in id order (not parsed)."""
    with db.unit_of_work() as s:
        return cast_rows(s.connection().execute(select(InboxEvent.id, RECEIVED, PAYLOAD_TEXT).where(
            APPOINTMENT, InboxEvent.id > after_id, InboxEvent.id <= up_to_id).order_by(InboxEvent.id).limit(limit)
        ).all())


def event_rows_of(db: Database, appointment_ids: Sequence[str], up_to_id: int) -> list[RawEvent]:
    """Every stored event of these appointments up to an inbox id, in id order (as fetched, not parsed)."""
    found: list[RawEvent] = []
    for i in range(0, len(appointment_ids), IN_CHUNK):
        chunk = list(appointment_ids[i:i + IN_CHUNK])
        with db.unit_of_work() as s:
            found += cast_rows(s.connection().execute(select(InboxEvent.id, RECEIVED, PAYLOAD_TEXT).where(
                APPOINTMENT, InboxEvent.subject.in_(chunk), InboxEvent.id <= up_to_id)).all())
    return sorted(found)


def seen_before(db: Database, appointment_ids: Sequence[str], at_or_below_id: int) -> set[str]:
    """Which of these appointments had an event at or below an inbox id (so they may be in the lake)."""
    seen: set[str] = set()
    if at_or_below_id <= 0:
        return seen
    for i in range(0, len(appointment_ids), IN_CHUNK):
        chunk = list(appointment_ids[i:i + IN_CHUNK])
        with db.unit_of_work() as s:
            seen.update(s.scalars(select(InboxEvent.subject).distinct().where(
                APPOINTMENT, InboxEvent.subject.in_(chunk), InboxEvent.id <= at_or_below_id)))
    return seen


def link_pages(db: Database, after: datetime | None, cutoff: datetime, page_size: int) -> Iterator[list[LinkRow]]:
    """Links of `peer:kind` peers updated in (after, cutoff), in (updated, appointment, peer) order, a page at a
    time."""
    cursor: tuple[datetime, str, str] | None = None
    while True:
        query = select(Link.appointment_id, Link.peer, Link.last_version, Link.remote_id, Link.updated_at).where(
            Link.updated_at < cutoff, Link.peer.like("%:%"))
        if after is not None:
            query = query.where(Link.updated_at > after)
        if cursor is not None:
            query = query.where(tuple_(Link.updated_at, Link.appointment_id, Link.peer) > cursor)
        with db.unit_of_work() as s:
            rows = cast(list[LinkRow], s.execute(
                query.order_by(Link.updated_at, Link.appointment_id, Link.peer).limit(page_size)).all())
        if not rows:
            return
        cursor = (rows[-1][4], rows[-1][0], rows[-1][1])
        yield rows


def touched_delivery_span(db: Database, after: datetime | None, cutoff: datetime) -> tuple[datetime, datetime,
                                                                                          datetime] | None:
    """(first created, last created, last updated) of deliveries updated in (after, cutoff); None if none."""
    query = select(func.min(Delivery.created_at), func.max(Delivery.created_at), func.max(Delivery.updated_at)
                   ).where(Delivery.updated_at < cutoff)
    if after is not None:
        query = query.where(Delivery.updated_at > after)
    with db.unit_of_work() as s:
        first, last, updated = s.execute(query).one()
    if first is None:
        return None
    return first, last, updated


def delivery_rows(db: Database, start: datetime, end: datetime) -> Iterator[DeliveryRow]:
    """Every delivery created in [start, end) with its event's receipt time, streamed."""
    with db.unit_of_work() as s:
        result = s.execute(select(Delivery.flow, Delivery.created_at, Delivery.status, Delivery.finished_at,
                                  InboxEvent.received_at).join(InboxEvent, InboxEvent.id == Delivery.inbox_id)
                           .where(Delivery.created_at >= start, Delivery.created_at < end)
                           .execution_options(yield_per=10_000))
        yield from cast(Iterator[DeliveryRow], result)
