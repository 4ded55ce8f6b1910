"""Process one delivery: claim it, keep per-appointment order, run the flow, record the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import func, select, update

from hub import metrics
from hub.backoff import backoff_seconds
from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError, TransientError
from hub.logging import bind_correlation, redact_text
from hub.model import parse_event
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.delivery")

#: Link-table peer name under which the version guard keeps the last applied version of a flow.
GUARD_PREFIX = "flow:"


@dataclass(frozen=True)
class Outcome:
    """What happened; `retry_in` seconds when the runtime should send the delivery again."""

    status: str
    retry_in: float | None = None
    detail: str | None = None


NOT_CLAIMED = Outcome("not-claimed")


class DeliveryProcessor:
    def __init__(self, hub: Hub, worker_name: str = "worker") -> None:
        self.hub = hub
        self.worker_name = worker_name

    def process(self, delivery_id: int) -> Outcome:
        hub = self.hub
        now = hub.now()
        retry = hub.settings.retry
        with hub.db.unit_of_work() as s:
            row = s.execute(
                select(Delivery.flow, InboxEvent.subject, InboxEvent.id)
                .join(InboxEvent, InboxEvent.id == Delivery.inbox_id)
                .where(Delivery.id == delivery_id)
            ).first()
        if row is None:
            return NOT_CLAIMED
        flow_name, subject, inbox_id = row
        order_lock = f"order:{flow_name}:{subject}" if subject else None
        holder = f"delivery:{delivery_id}"
        if order_lock and not hub.locks.acquire(order_lock, holder, retry.lease_seconds):
            # Another delivery of this appointment and flow is running; come back shortly.
            return Outcome("busy", retry_in=0.2)
        try:
            return self._process_claimed(delivery_id, flow_name, inbox_id, now)
        finally:
            if order_lock:
                hub.locks.release(order_lock, holder)

    def _claim(self, delivery_id: int) -> int | None:
        now = self.hub.now()
        lease = now + timedelta(seconds=self.hub.settings.retry.lease_seconds)
        with self.hub.db.unit_of_work() as s:
            claimed = s.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status.in_(DeliveryStatus.OPEN),
                    (Delivery.leased_until.is_(None)) | (Delivery.leased_until < now),
                    Delivery.next_attempt_at <= now + timedelta(seconds=1),
                )
                .values(leased_until=lease, attempts=Delivery.attempts + 1, updated_at=now)
            ).rowcount  # type: ignore[attr-defined]
            if not claimed:
                return None
            return s.scalar(select(Delivery.attempts).where(Delivery.id == delivery_id))

    def _process_claimed(self, delivery_id: int, flow_name: str, inbox_id: int, started: object) -> Outcome:
        hub = self.hub
        attempt = self._claim(delivery_id)
        if attempt is None:
            return NOT_CLAIMED
        with hub.db.unit_of_work() as s:
            inbox = s.get(InboxEvent, inbox_id)
            assert inbox is not None
            payload, caller, version, subject = inbox.payload, inbox.caller, inbox.version, inbox.subject
            received_at = inbox.received_at
        correlation_id = (payload or {}).get("id") or f"inbox-{inbox_id}"
        with bind_correlation(correlation_id, flow=flow_name, delivery_id=delivery_id):
            try:
                spec = hub.registry.get(flow_name)
            except KeyError as exc:
                return self._finish(delivery_id, DeliveryStatus.DEAD, f"flow not registered: {exc}")
            if payload is None:
                return self._finish(delivery_id, DeliveryStatus.DEAD, "payload purged past retention")
            if spec.ordered and subject and version is not None:
                guard = hub.links.get(subject, GUARD_PREFIX + flow_name)
                if guard and guard.last_version is not None and version < guard.last_version:
                    detail = f"stale snapshot: version {version} < applied {guard.last_version}"
                    log.info("delivery.skipped", reason="stale", version=version, applied=guard.last_version)
                    hub.audit.record(actor=f"flow:{flow_name}", flow=flow_name, action="skip-stale",
                                     purpose=spec.purpose, outcome="skipped",
                                     references={"appointmentId": subject, "version": version,
                                                 "appliedVersion": guard.last_version,
                                                 "correlationId": correlation_id})
                    return self._finish(delivery_id, DeliveryStatus.SKIPPED, detail)
            event = InboundEvent(inbox_id, delivery_id, attempt, caller, parse_event(payload))
            ctx = FlowContext(hub=hub, flow=flow_name, correlation_id=correlation_id, now=hub.now)
            t0 = time.perf_counter()
            try:
                note = spec.handler(event, ctx)
            except PermanentError as exc:
                log.warning("delivery.dead", reason=exc.reason, attempt=attempt)
                return self._finish(delivery_id, DeliveryStatus.DEAD, exc.reason)
            except TransientError as exc:
                return self._retry(delivery_id, attempt, exc.reason, exc.retry_after)
            except Exception as exc:
                reason = f"unexpected {type(exc).__name__}: {redact_text(str(exc))[:500]}"
                log.exception("delivery.error", reason=reason, attempt=attempt)
                return self._retry(delivery_id, attempt, reason, None)
            finally:
                metrics.FLOW_SECONDS.labels(flow=flow_name).observe(time.perf_counter() - t0)
            if spec.ordered and subject and version is not None:
                hub.links.put(subject, GUARD_PREFIX + flow_name, version=version)
            metrics.END_TO_END_SECONDS.labels(flow=flow_name).observe(
                max(0.0, (hub.now() - received_at).total_seconds()))
            log.info("delivery.succeeded", attempt=attempt)
            return self._finish(delivery_id, DeliveryStatus.SUCCEEDED, note)

    def _retry(self, delivery_id: int, attempt: int, reason: str, retry_after: float | None) -> Outcome:
        retry = self.hub.settings.retry
        if attempt >= retry.max_attempts:
            log.warning("delivery.dead", reason=reason, attempt=attempt, cause="max attempts")
            return self._finish(delivery_id, DeliveryStatus.DEAD, f"gave up after {attempt} attempts: {reason}")
        delay = backoff_seconds(attempt, retry.base_seconds, retry.max_seconds, retry_after)
        now = self.hub.now()
        with self.hub.db.unit_of_work() as s:
            s.execute(update(Delivery).where(Delivery.id == delivery_id).values(
                status=DeliveryStatus.FAILED, last_error=reason[:2000], leased_until=None,
                next_attempt_at=now + timedelta(seconds=delay), updated_at=now))
        log.info("delivery.retry", reason=reason, attempt=attempt, retry_in=round(delay, 3))
        return Outcome(DeliveryStatus.FAILED, retry_in=delay, detail=reason)

    def _finish(self, delivery_id: int, status: str, detail: str | None) -> Outcome:
        now = self.hub.now()
        with self.hub.db.unit_of_work() as s:
            d = s.get(Delivery, delivery_id)
            assert d is not None
            d.status, d.leased_until, d.updated_at, d.finished_at = status, None, now, now
            if status != DeliveryStatus.SUCCEEDED:
                d.last_error = (detail or "")[:2000] or None
            s.flush()
            open_left = s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.inbox_id == d.inbox_id, Delivery.status.in_(DeliveryStatus.OPEN)))
            if not open_left:
                s.execute(update(InboxEvent).where(InboxEvent.id == d.inbox_id,
                                                   InboxEvent.processed_at.is_(None)).values(processed_at=now))
            flow = d.flow
        metrics.DELIVERIES_DONE.labels(flow=flow, status=status).inc()
        return Outcome(status, detail=detail)
