"""Operations on the store shared by the CLI and the HTTP API: status, deliveries, replay, trace, purge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import exists, func, select, update

from hub.breaker import states as breaker_states
from hub.register_matrix import register_report
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent, Link

if TYPE_CHECKING:
    from hub.bootstrap import Hub


class DeliveryView(BaseModel):
    id: int
    flow: str
    status: str
    attempts: int
    lastError: str | None
    nextAttemptAt: datetime | None
    eventId: str
    eventType: str
    subject: str | None
    version: int | None
    receivedAt: datetime
    finishedAt: datetime | None


def unrouted(hub: Hub) -> dict[str, int]:
    """Accepted events that no flow consumes, by type: stored, acknowledged, and sent nowhere."""
    no_delivery = ~exists(select(Delivery.id).where(Delivery.inbox_id == InboxEvent.id))
    with hub.db.reading() as s:
        rows = s.execute(select(InboxEvent.type, func.count()).where(no_delivery)
                         .group_by(InboxEvent.type).order_by(InboxEvent.type)).all()
    return {event_type: count for event_type, count in rows}


def status(hub: Hub) -> dict[str, Any]:
    """`{"inbox": {...}, "deliveries": {flow: {state: n}}, "unrouted": {type: n}, "register": {vendor, capabilities,
    unsupported}, "peers": [breaker state]}` as `status --json` prints it (peers: only those the breaker has seen
    failing or paused)."""
    with hub.db.unit_of_work() as s:
        received = s.scalar(select(func.count()).select_from(InboxEvent)) or 0
        processed = s.scalar(select(func.count()).select_from(InboxEvent)
                             .where(InboxEvent.processed_at.is_not(None))) or 0
        rows = s.execute(select(Delivery.flow, Delivery.status, func.count()).group_by(Delivery.flow,
                                                                                       Delivery.status)).all()
    flows: dict[str, dict[str, int]] = {name: dict.fromkeys(DeliveryStatus.ALL, 0) for name in hub.registry.flows}
    for flow, state, count in rows:
        flows.setdefault(flow, dict.fromkeys(DeliveryStatus.ALL, 0))[state] = count
    return {"inbox": {"received": received, "processed": processed, "pending": received - processed},
            "deliveries": flows, "unrouted": unrouted(hub), "register": register_report(hub),
            "peers": [p.model_dump(mode="json") for p in breaker_states(hub)]}


def _view(d: Delivery, e: InboxEvent) -> DeliveryView:
    return DeliveryView(id=d.id, flow=d.flow, status=d.status, attempts=d.attempts, lastError=d.last_error,
                        nextAttemptAt=d.next_attempt_at if d.status in DeliveryStatus.OPEN else None,
                        eventId=e.event_id, eventType=e.type, subject=e.subject, version=e.version,
                        receivedAt=e.received_at, finishedAt=d.finished_at)


def oldest_open(hub: Hub) -> dict[str, datetime]:
    """Per flow: when its oldest open (pending or failed) delivery was created."""
    with hub.db.unit_of_work() as s:
        rows = s.execute(select(Delivery.flow, func.min(Delivery.created_at))
                         .where(Delivery.status.in_(DeliveryStatus.OPEN)).group_by(Delivery.flow)).all()
    return {flow: at for flow, at in rows if at is not None}


def list_deliveries(hub: Hub, *, status_: str | None = None, flow: str | None = None,
                    limit: int = 100, offset: int = 0, error_contains: str | None = None,
                    subject: str | None = None, newest_first: bool = False) -> list[DeliveryView]:
    query = select(Delivery, InboxEvent).join(InboxEvent, InboxEvent.id == Delivery.inbox_id)
    if status_:
        query = query.where(Delivery.status == status_)
    if flow:
        query = query.where(Delivery.flow == flow)
    if error_contains:
        query = query.where(Delivery.last_error.contains(error_contains, autoescape=True))
    if subject:
        query = query.where(InboxEvent.subject == subject)
    query = query.order_by(Delivery.id.desc() if newest_first else Delivery.id).limit(limit).offset(offset)
    with hub.db.unit_of_work() as s:
        return [_view(d, e) for d, e in s.execute(query)]


def get_delivery(hub: Hub, delivery_id: int) -> DeliveryView | None:
    with hub.db.unit_of_work() as s:
        row = s.execute(select(Delivery, InboxEvent).join(InboxEvent, InboxEvent.id == Delivery.inbox_id)
                        .where(Delivery.id == delivery_id)).first()
        return _view(*row) if row else None


def replay(hub: Hub, delivery_ids: list[int], actor: str) -> list[int]:
    """Make finished-but-unsuccessful deliveries pending again (fresh attempts) and queue them."""
    now = hub.now()
    with hub.db.unit_of_work() as s:
        ids = list(s.scalars(select(Delivery.id).where(
            Delivery.id.in_(delivery_ids),
            Delivery.status.in_((DeliveryStatus.DEAD, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)))))
        if ids:
            s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
                status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, leased_until=None,
                finished_at=None, updated_at=now, replays=Delivery.replays + 1))
            inbox_ids = select(Delivery.inbox_id).where(Delivery.id.in_(ids))
            s.execute(update(InboxEvent).where(InboxEvent.id.in_(inbox_ids)).values(processed_at=None))
    for delivery_id in ids:
        hub.audit.record(actor=actor, action="replay", purpose="operations: resend after failure",
                         references={"deliveryId": delivery_id}, outcome="queued")
    hub.runtime.enqueue_many(ids)
    return ids


def replay_matching(hub: Hub, *, flow: str | None, status_: str, actor: str) -> list[int]:
    """Replay every delivery of one state (and flow) at once; `hub.replay` pages, paces and resumes."""
    query = select(Delivery.id).where(Delivery.status == status_)
    if flow:
        query = query.where(Delivery.flow == flow)
    with hub.db.unit_of_work() as s:
        ids = list(s.scalars(query))
    return replay(hub, ids, actor)


def trace(hub: Hub, appointment_id: str) -> dict[str, Any]:
    """Every inbound event, delivery and link of one appointment (no payloads, no personal data)."""
    with hub.db.unit_of_work() as s:
        events = s.scalars(select(InboxEvent).where(InboxEvent.subject == appointment_id)
                           .order_by(InboxEvent.id)).all()
        ids = [e.id for e in events]
        deliveries = s.scalars(select(Delivery).where(Delivery.inbox_id.in_(ids)).order_by(Delivery.id)).all()
        links = s.scalars(select(Link).where(Link.appointment_id == appointment_id).order_by(Link.peer)).all()
        by_inbox: dict[int, list[dict[str, Any]]] = {}
        for d in deliveries:
            by_inbox.setdefault(d.inbox_id, []).append(
                {"id": d.id, "flow": d.flow, "status": d.status, "attempts": d.attempts,
                 "lastError": d.last_error, "finishedAt": d.finished_at.isoformat() if d.finished_at else None})
        return {
            "appointmentId": appointment_id,
            "events": [{"inboxId": e.id, "eventId": e.event_id, "source": e.source, "type": e.type,
                        "version": e.version, "caller": e.caller, "receivedAt": e.received_at.isoformat(),
                        "traceId": e.traceparent.split("-")[1] if e.traceparent else None,
                        "processedAt": e.processed_at.isoformat() if e.processed_at else None,
                        "deliveries": by_inbox.get(e.id, [])} for e in events],
            "links": [{"peer": link.peer, "remoteId": link.remote_id, "lastVersion": link.last_version,
                       "contentHash": link.content_hash, "updatedAt": link.updated_at.isoformat()}
                      for link in links],
        }


def purge(hub: Hub, older_than_days: int, actor: str) -> dict[str, int]:
    """Drop stored payloads (personal data) of processed events older than the cutoff; keep the audit log."""
    cutoff = hub.now() - timedelta(days=older_than_days)
    with hub.db.unit_of_work() as s:
        events = s.execute(update(InboxEvent).where(
            InboxEvent.received_at < cutoff, InboxEvent.processed_at.is_not(None),
            InboxEvent.payload.is_not(None)).values(payload=None, purged_at=hub.now())).rowcount  # type: ignore[attr-defined]
        links = s.execute(update(Link).where(Link.updated_at < cutoff, Link.data.is_not(None))
                          .values(data=None)).rowcount  # type: ignore[attr-defined]
    hub.audit.record(actor=actor, action="purge", purpose="retention (AVG): remove personal data",
                     references={"olderThanDays": older_than_days, "events": events, "links": links},
                     outcome="done")
    return {"events": events, "links": links}


def audit_count(hub: Hub) -> int:
    with hub.db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(AuditRecord)) or 0
