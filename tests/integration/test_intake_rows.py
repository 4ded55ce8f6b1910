"""What the intake writes, column by column: the inbox row as received and each delivery due now."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.intake import Submission
from hub.model import parse_event
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent
from hub.tracing import EventTrace
from tests.support.events import cloudevent

TRACE = EventTrace("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01", "k=v",
                   "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")


def test_every_column_of_a_routed_and_an_unrouted_event(hub: Hub) -> None:
    before = datetime.now(UTC)
    booked = cloudevent(appointment_id="A-7", event_id="e-7")
    other = {**cloudevent(event_id="e-8"), "type": "nl.example.nobody-listens", "data": {"x": [1, "ü"]}}
    [[first, second]] = hub.intake.accept_together([Submission(
        [parse_event(booked), parse_event(other)], "tip", received=[booked, other], traces=[TRACE, None])])
    assert first.delivery_ids and not second.delivery_ids and not first.duplicate
    with hub.db.reading() as s:
        rows = {r.event_id: r for r in s.scalars(select(InboxEvent))}
        deliveries = list(s.scalars(select(Delivery).order_by(Delivery.id)))
        row, unrouted = rows["e-7"], rows["e-8"]
        assert (row.id, row.source, row.type, row.subject, row.version, row.caller) == (
            first.inbox_id, "urn:test:tip", booked["type"], "A-7", 1, "tip")
        assert row.payload == booked and unrouted.payload == other
        assert (row.traceparent, row.tracestate, row.caller_traceparent) == (
            TRACE.traceparent, "k=v", TRACE.caller_traceparent)
        assert (unrouted.traceparent, unrouted.tracestate, unrouted.caller_traceparent) == (None, None, None)
        assert before <= row.received_at <= datetime.now(UTC) and row.received_at.tzinfo is not None
        assert row.processed_at is None and row.purged_at is None
        assert unrouted.processed_at == unrouted.received_at == row.received_at
        assert [d.id for d in deliveries] == list(first.delivery_ids)
        for d in deliveries:
            assert (d.inbox_id, d.status, d.attempts, d.replays, d.last_error, d.leased_until, d.finished_at) == (
                row.id, DeliveryStatus.PENDING, 0, 0, None, None, None)
            assert d.next_attempt_at == d.created_at == d.updated_at == row.received_at
        assert len({d.flow for d in deliveries}) == len(deliveries)
        # stored as the store's own queries write a time (SQLite compares the text): found by equality
        assert s.scalar(select(InboxEvent.id).where(InboxEvent.received_at == row.received_at,
                                                    InboxEvent.event_id == "e-7")) == row.id
        assert s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.next_attempt_at == row.received_at)) == len(deliveries)
