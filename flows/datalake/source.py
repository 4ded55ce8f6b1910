"""What the export reads from the hub's store: appointment events, contact-moment links, deliveries."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from flows.datalake.columnar import RawEvent, read_events
from flows.datalake.rows import AMS, EventRecord, Row, date_key
from flows.datalake.snapshot import StoredEvent
from hub.bootstrap import Hub
from hub.store import datalake_reads as reads
from hub.store.tables import DeliveryStatus
from mappings.salesforce import ContactMomentKind

CONTACT_MOMENT_PEERS = ("salesforce", "klantinteracties")
CONTACT_MOMENT_KINDS = frozenset(k.value for k in ContactMomentKind)


@dataclass
class EventBatch:
    """Up to `batch_size` stored appointment events after an inbox id, parsed; the unreadable counted.

    Parsed column-wise into `columns` (see `columnar.read_events`), or, when that reader declines the
    batch, one by one into `records`.
    """

    records: list[EventRecord]
    last_id: int
    purged: int = 0
    unreadable: int = 0
    columns: pa.Table | None = None

    @property
    def size(self) -> int:
        """Stored events the batch covers, readable or not."""
        readable = self.columns.num_rows if self.columns is not None else len(self.records)
        return readable + self.purged + self.unreadable


def parse(inbox_id: int, received_at: datetime, payload: str | None) -> EventRecord | None:
    if payload is None or payload == "null":
        return None
    return EventRecord(inbox_id, _aware(received_at), StoredEvent.model_validate_json(payload))


def _aware(moment: datetime) -> datetime:
    """The store's UTC time as an aware datetime (the columnar reader reads a naive one as UTC too)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def last_settled_id(hub: Hub, cutoff: datetime) -> int:
    """The highest appointment event id received before `cutoff` (younger ones wait for the next run)."""
    return reads.last_settled_id(hub.db, cutoff)


def first_id_since(hub: Hub, since: datetime) -> int:
    """The id just before the first appointment event received at or after `since`."""
    return reads.first_id_since(hub.db, since)


def count_events(hub: Hub, after_id: int, up_to_id: int) -> int:
    return reads.count_events(hub.db, after_id, up_to_id)


def event_batches(hub: Hub, after_id: int, up_to_id: int, batch_size: int) -> Iterator[EventBatch]:
    """Appointment events with after_id < id <= up_to_id in id order, `batch_size` at a time."""
    cursor = after_id
    while cursor < up_to_id:
        rows = reads.event_rows(hub.db, cursor, up_to_id, batch_size)
        if not rows:
            return
        batch = _parsed(rows)
        cursor = batch.last_id
        del rows
        yield batch
        del batch
        if not gc.isenabled():  # the export pauses the collector: free what the last batch left, now that
            gc.collect(1)       # nothing holds it (collecting while it lives would re-scan all of it)


def _parsed(rows: Sequence[RawEvent]) -> EventBatch:
    """A batch of fetched rows, read column-wise when the columnar reader takes it, else event by event."""
    read = read_events(rows)
    if read is not None:
        return EventBatch([], rows[-1][0], purged=read[1], columns=read[0])
    batch = EventBatch([], rows[-1][0])
    for inbox_id, received_at, payload in rows:
        try:
            record = parse(inbox_id, received_at, payload)
        except ValidationError:
            batch.unreadable += 1
            continue
        if record is None:
            batch.purged += 1
        else:
            batch.records.append(record)
    return batch


def event_rows_of(hub: Hub, appointment_ids: Sequence[str], up_to_id: int) -> list[RawEvent]:
    """Every stored event of these appointments up to an inbox id, in id order (as fetched, not parsed)."""
    return reads.event_rows_of(hub.db, appointment_ids, up_to_id)


def events_of(rows: Sequence[RawEvent]) -> dict[str, list[EventRecord]]:
    """The readable ones of these fetched events, parsed one by one, per appointment."""
    found: dict[str, list[EventRecord]] = {}
    for inbox_id, received_at, payload in rows:
        try:
            record = parse(inbox_id, received_at, payload)
        except ValidationError:
            continue
        if record is not None:
            found.setdefault(record.event.data.id, []).append(record)
    return found


def seen_before(hub: Hub, appointment_ids: Sequence[str], at_or_below_id: int) -> set[str]:
    """Which of these appointments had an event at or below an inbox id (so they may be in the lake)."""
    return reads.seen_before(hub.db, appointment_ids, at_or_below_id)


def contact_moment_pages(hub: Hub, after: datetime | None, cutoff: datetime, page_size: int
                         ) -> Iterator[tuple[list[Row], datetime]]:
    """Contact-moment links updated in (after, cutoff), as fact_contact_moment rows, a page at a time."""
    for rows in reads.link_pages(hub.db, after, cutoff, page_size):
        page: list[Row] = []
        for appointment_id, peer_kind, version, remote_id, updated_at in rows:
            peer, _, kind = peer_kind.partition(":")
            if peer in CONTACT_MOMENT_PEERS and kind in CONTACT_MOMENT_KINDS:
                page.append({"appointment_id": appointment_id, "peer": peer, "kind": kind,
                             "appointment_version": version, "remote_id": remote_id, "recorded_at": updated_at,
                             "recorded_date_key": date_key(updated_at.astimezone(AMS).date())})
        yield page, rows[-1][4]


def touched_delivery_span(hub: Hub, after: datetime | None, cutoff: datetime) -> tuple[datetime, datetime,
                                                                                        datetime] | None:
    """(first created, last created, last updated) of deliveries updated in (after, cutoff); None if none."""
    return reads.touched_delivery_span(hub.db, after, cutoff)


def delivery_days(hub: Hub, first_created: datetime, last_created: datetime) -> list[Row]:
    """fact_delivery_day rows for every (flow, local day) from the day of `first_created` to that of `last_created`."""
    start = datetime.combine(first_created.astimezone(AMS).date(), datetime.min.time(), AMS)
    end = datetime.combine(last_created.astimezone(AMS).date() + timedelta(days=1), datetime.min.time(), AMS)
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for flow, created_at, status, finished_at, received_at in reads.delivery_rows(hub.db, start, end):
        g = groups.setdefault((flow, date_key(created_at.astimezone(AMS).date())),
                              {"received": 0, "succeeded": 0, "dead": 0, "skipped": 0, "open": 0, "lat": []})
        g["received"] += 1
        if status == DeliveryStatus.SUCCEEDED:
            g["succeeded"] += 1
            if finished_at is not None:
                g["lat"].append((finished_at - received_at).total_seconds())
        elif status == DeliveryStatus.DEAD:
            g["dead"] += 1
        elif status == DeliveryStatus.SKIPPED:
            g["skipped"] += 1
        else:
            g["open"] += 1
    return [{"flow": flow, "date_key": day, "received": g["received"], "succeeded": g["succeeded"],
             "dead": g["dead"], "skipped": g["skipped"], "open": g["open"], "p95_latency_seconds": p95(g["lat"])}
            for (flow, day), g in sorted(groups.items())]


def p95(values: list[float]) -> float | None:
    """The 95th percentile by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
