"""Process one delivery: claim it, keep per-appointment order, run the flow, record the outcome.

Two store transactions per delivery whatever the flow does: one to take the order lock, claim the
lease and read what the flow needs (the appointment's links included); one to record the outcome with the
flow's link writes and audit records, move the version guard and let go of the lock (hub.delivery_links).
The flow's own peer calls run outside any transaction.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import structlog
from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from hub import metrics
from hub.audit import AUDIT
from hub.backoff import backoff_seconds
from hub.breaker import PeerUnavailable
from hub.context import FlowContext, InboundEvent
from hub.delivery_links import DeliveryLinks, link_rows, write_pending
from hub.errors import PermanentError, TransientError
from hub.ldv import ProcessingLogError
from hub.links import _FOR_APPOINTMENT, LinkState, put_link
from hub.locks import order_holder, order_lock_name, try_lock, unlock
from hub.logging import bind_correlation, redact_text
from hub.model import parse_event
from hub.ports.register import UnsupportedError, require
from hub.processing import delivery_processing, log_delivery
from hub.store.claim import CLAIM, FINISH, MARK_PROCESSED
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent, Link, Lock

#: The hot path uses Core on the session's connection, not ORM statements: ORM-enabled UPDATEs evaluate and
#: synchronise the session and ORM loads build objects, several times a plain statement's CPU per delivery.
DELIVERIES, INBOX, LINKS, LOCKS = (cast(Table, t.__table__) for t in (Delivery, InboxEvent, Link, Lock))

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
BUSY = Outcome("busy", retry_in=0.2)  # another delivery of this appointment and flow runs; come back shortly


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds, with what the flow needs from the inbox."""

    delivery_id: int
    flow: str
    inbox_id: int
    attempt: int
    subject: str | None
    version: int | None
    payload: dict[str, Any] | None
    caller: str
    received_at: datetime
    applied_version: int | None
    traceparent: str | None = None  # the event's trace context (the intake span), carried through the store
    tracestate: str | None = None
    caller_traceparent: str | None = None
    replays: int = 0
    #: The appointment's links, read with the claim; the flow's link writes, kept for the finish.
    links: DeliveryLinks | None = field(default=None, compare=False, repr=False)
    #: The flow's audit records, kept for the finish (written with the delivery's LDV record).
    audit_rows: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)

    #: The appointment's order lock this delivery took (hub.locks.order_lock_name); None without a subject.
    order_lock: str | None = None

    @property
    def holder(self) -> str:
        return order_holder(self.delivery_id)


# Built once with bind parameters: building a statement and its cache key costs more CPU than running it.
_CLAIM = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("b_id"), DELIVERIES.c.status.in_(DeliveryStatus.OPEN),
           DELIVERIES.c.leased_until.is_(None) | (DELIVERIES.c.leased_until < bindparam("b_now")),
           DELIVERIES.c.next_attempt_at <= bindparam("b_due"))
    .values(leased_until=bindparam("b_until"), attempts=DELIVERIES.c.attempts + 1, updated_at=bindparam("b_now"))
    .returning(DELIVERIES.c.attempts)
)
_READ = (
    select(DELIVERIES.c.flow, DELIVERIES.c.status, DELIVERIES.c.replays, INBOX.c.id, INBOX.c.subject,
           INBOX.c.version, INBOX.c.payload, INBOX.c.caller, INBOX.c.received_at, INBOX.c.traceparent,
           INBOX.c.tracestate, INBOX.c.caller_traceparent)
    .join(INBOX, INBOX.c.id == DELIVERIES.c.inbox_id).where(DELIVERIES.c.id == bindparam("b_id"))
)
_UNCLAIM = (update(DELIVERIES).where(DELIVERIES.c.id == bindparam("b_id"))
            .values(leased_until=None, attempts=DELIVERIES.c.attempts - 1))
_GUARD = select(LINKS.c.last_version).where(LINKS.c.appointment_id == bindparam("b_subject"),
                                            LINKS.c.peer == bindparam("b_peer"))
_TAKE_INBOX = select(INBOX.c.id).where(INBOX.c.id == bindparam("b_inbox")).with_for_update()
_OPEN_LEFT = select(func.count()).select_from(DELIVERIES).where(
    DELIVERIES.c.inbox_id == bindparam("b_inbox"), DELIVERIES.c.status.in_(DeliveryStatus.OPEN))
_MARK_PROCESSED = (update(INBOX).where(INBOX.c.id == bindparam("b_inbox"), INBOX.c.processed_at.is_(None))
                   .values(processed_at=bindparam("b_now")))


def _claim_in(s: Session, delivery_id: int, now: datetime, lease_seconds: float) -> int | None:
    """Take the lease; the attempt number it counts, or None when the delivery is not open and free."""
    return s.connection().execute(_CLAIM, {
        "b_id": delivery_id, "b_now": now, "b_due": now + timedelta(seconds=1),
        "b_until": now + timedelta(seconds=lease_seconds)}).scalar()


def _release_order(s: Session, claim: Claim, hold: bool) -> None:
    """Give the appointment's order lock back, or keep it when a write may still land: while this delivery is
    open, an expired lock is not taken from it (hub.locks.HOLDER_OPEN), so its retry runs before any later one."""
    if claim.order_lock and not hold:
        unlock(s, claim.order_lock, claim.holder)


def _keep_writes(conn: Connection, claim: Claim, now: datetime, audit: bool = False) -> None:
    """The flow's buffered link writes (and, with `audit`, its audit records when no LDV record carries them)
    in the transaction that records the outcome: kept whatever the outcome (hub.delivery_links)."""
    write_pending(conn, claim.links, now)
    if audit and claim.audit_rows:
        conn.execute(insert(AUDIT), claim.audit_rows)


class DeliveryProcessor:
    def __init__(self, hub: Hub, worker_name: str = "worker") -> None:
        self.hub = hub
        self.worker_name = worker_name

    def process(self, delivery_id: int, via: str | None = None) -> Outcome:
        """Run one delivery; `via` is the trace context its queue message carried."""
        claim = self._begin(delivery_id)
        if isinstance(claim, Outcome):
            return claim
        # The delivery's span and LDV processing (hub.processing): its record commits with its outcome, and an
        # outcome whose record cannot be written is not kept: the delivery is retried instead.
        with delivery_processing(self.hub, claim, via):
            try:
                return self._run(claim)
            except ProcessingLogError as exc:
                log.warning("delivery.log_failed", reason=exc.reason, attempt=claim.attempt)
                return self._retry(claim, exc.reason, None, log_it=False)

    def _claim(self, delivery_id: int) -> int | None:
        """Take the lease only (tests and tools); the attempt number, or None."""
        now = self.hub.now()
        with self.hub.db.unit_of_work() as s:
            return _claim_in(s, delivery_id, now, self.hub.settings.retry.lease_seconds)

    def _begin(self, delivery_id: int) -> Claim | Outcome:
        if self.hub.db.backend == "postgresql":
            return self._begin_in_one(delivery_id)
        hub = self.hub
        now = hub.now()
        lease = hub.settings.retry.lease_seconds
        with hub.db.unit_of_work() as s:
            conn = s.connection()
            row = conn.execute(_READ, {"b_id": delivery_id}).first()
            if row is None or row.status not in DeliveryStatus.OPEN:
                return NOT_CLAIMED
            holder = order_holder(delivery_id)
            lock = order_lock_name(hub.registry.order_group(row.flow), row.subject)
            # Lease first: a second message for a delivery that runs must not touch (and free) its order lock.
            attempt = _claim_in(s, delivery_id, now, lease)
            if attempt is None:
                return NOT_CLAIMED
            if lock and not try_lock(s, lock, holder, now + timedelta(seconds=lease), now, order=True):
                conn.execute(_UNCLAIM, {"b_id": delivery_id})  # not run: no attempt spent
                return BUSY
            applied = conn.execute(_GUARD, {"b_subject": row.subject, "b_peer": GUARD_PREFIX + row.flow}).scalar() \
                if row.subject else None
            links = [LinkState(*r) for r in conn.execute(_FOR_APPOINTMENT, {"b_appointment": row.subject})] \
                if row.subject else []
            return Claim(delivery_id, row.flow, row.id, attempt, row.subject, row.version, row.payload,
                         row.caller, row.received_at, applied, row.traceparent, row.tracestate, row.caller_traceparent,
                         row.replays, DeliveryLinks(hub.db, hub.now, row.subject, links), order_lock=lock)

    def _begin_in_one(self, delivery_id: int) -> Claim | Outcome:
        """PostgreSQL: lease, order lock and guard in one autocommit statement (hub.store.claim)."""
        now = self.hub.now()
        lease = self.hub.settings.retry.lease_seconds
        until = now + timedelta(seconds=lease)
        with self.hub.db.one_statement() as s:
            conn = s.connection()
            row = conn.execute(CLAIM, {"b_id": delivery_id, "b_now": now, "b_due": now + timedelta(seconds=1),
                                       "b_until": until, "b_holder": order_holder(delivery_id),
                                       "b_guard": GUARD_PREFIX,
                                       "b_groups": json.dumps(self.hub.registry.order_groups())}).first()
            if row is None:
                return NOT_CLAIMED
            if not row.locked:
                conn.execute(_UNCLAIM, {"b_id": delivery_id})  # not run: no attempt spent
                return BUSY
        links = [LinkState(row.subject, *link) for link in row.links or ()] if row.subject else []
        return Claim(delivery_id, row.flow, row.inbox_id, row.attempts, row.subject, row.version, row.payload,
                     row.caller, row.received_at, row.applied if row.subject else None, row.traceparent,
                     row.tracestate, row.caller_traceparent, row.replays,
                     DeliveryLinks(self.hub.db, self.hub.now, row.subject, links), order_lock=row.lock_name)

    def _run(self, claim: Claim) -> Outcome:
        hub = self.hub
        correlation_id = (claim.payload or {}).get("id") or f"inbox-{claim.inbox_id}"
        with bind_correlation(correlation_id, flow=claim.flow, delivery_id=claim.delivery_id):
            spec = hub.registry.flows.get(claim.flow)
            if spec is None:
                return self._finish(claim, DeliveryStatus.DEAD, f"flow not registered: {claim.flow}",
                                    error_class="unregistered")
            if claim.payload is None:
                return self._finish(claim, DeliveryStatus.DEAD, "payload purged past retention", error_class="purged")
            ordered = spec.ordered and claim.subject is not None and claim.version is not None
            if ordered and claim.applied_version is not None and claim.version < claim.applied_version:  # type: ignore[operator]
                detail = f"stale snapshot: version {claim.version} < applied {claim.applied_version}"
                log.info("delivery.skipped", reason="stale", version=claim.version, applied=claim.applied_version)
                claim.audit_rows.append(hub.audit.row(
                    actor=f"flow:{claim.flow}", flow=claim.flow, action="skip-stale", purpose=spec.purpose,
                    outcome="skipped", references={"appointmentId": claim.subject, "version": claim.version,
                                                   "appliedVersion": claim.applied_version,
                                                   "correlationId": correlation_id}))
                return self._finish(claim, DeliveryStatus.SKIPPED, detail, error_class="stale")
            event = InboundEvent(claim.inbox_id, claim.delivery_id, claim.attempt, claim.caller,
                                 parse_event(claim.payload), replay=claim.replays)
            ctx = FlowContext(hub=hub, flow=claim.flow, correlation_id=correlation_id, now=hub.now,
                              delivery_links=claim.links, audit_rows=claim.audit_rows)
            t0 = time.perf_counter()
            try:
                if spec.needs:  # the configured register must be able to do what the flow asks of it
                    require(hub.peers.register, *spec.needs)
                note = spec.handler(event, ctx)
            except UnsupportedError as exc:
                log.warning("delivery.unsupported", reason=exc.reason, attempt=claim.attempt)
                claim.audit_rows.append(hub.audit.row(
                    actor=f"flow:{claim.flow}", flow=claim.flow, action="skip-unsupported", purpose=spec.purpose,
                    outcome="skipped", references={"appointmentId": claim.subject, "reason": exc.reason,
                                                   "correlationId": correlation_id}))
                return self._finish(claim, DeliveryStatus.SKIPPED, exc.reason)
            except PeerUnavailable as exc:
                return self._wait(claim, exc)
            except PermanentError as exc:
                log.warning("delivery.dead", reason=exc.reason, attempt=claim.attempt)
                return self._finish(claim, DeliveryStatus.DEAD, exc.reason, error_class="permanent",
                                    peer=getattr(exc, "peer", None))
            except TransientError as exc:
                return self._retry(claim, exc.reason, exc.retry_after, hold_order=exc.in_flight,
                                   peer=getattr(exc, "peer", None))
            except Exception as exc:
                reason = f"unexpected {type(exc).__name__}: {redact_text(str(exc))[:500]}"
                log.exception("delivery.error", reason=reason, attempt=claim.attempt)
                return self._retry(claim, reason, None, error_class=f"unexpected:{type(exc).__name__}")
            finally:
                metrics.FLOW_SECONDS.labels(flow=claim.flow).observe(time.perf_counter() - t0)
            metrics.END_TO_END_SECONDS.labels(flow=claim.flow).observe(
                max(0.0, (hub.now() - claim.received_at).total_seconds()))
            log.info("delivery.succeeded", attempt=claim.attempt)
            return self._finish(claim, DeliveryStatus.SUCCEEDED, note, guard=ordered)

    def _wait(self, claim: Claim, exc: PeerUnavailable) -> Outcome:
        """The peer is open or paused: give the attempt back and come back when it may be called."""
        now = self.hub.now()
        delay = max(0.0, (exc.until - now).total_seconds()) + random.uniform(0, 1)  # spread the wake-ups
        with self.hub.db.unit_of_work() as s:
            conn = s.connection()
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == claim.delivery_id).values(
                attempts=DELIVERIES.c.attempts - 1, last_error=exc.reason[:2000], peer=exc.peer,
                error_class="waiting", leased_until=None, next_attempt_at=now + timedelta(seconds=delay),
                updated_at=now))
            _keep_writes(conn, claim, now, audit=True)
            # a failed probe's write may still land: then the appointment waits for this delivery
            _release_order(s, claim, hold=exc.in_flight)
        metrics.DELIVERIES_WAITING.labels(peer=exc.peer).inc()
        log.info("delivery.waiting", peer=exc.peer, state=exc.state, retry_in=round(delay, 3))
        return Outcome("waiting", retry_in=delay, detail=exc.reason)

    def _retry(self, claim: Claim, reason: str, retry_after: float | None, hold_order: bool = False,
               peer: str | None = None, error_class: str = "transient", log_it: bool = True) -> Outcome:
        retry = self.hub.settings.retry
        if claim.attempt >= retry.max_attempts:
            log.warning("delivery.dead", reason=reason, attempt=claim.attempt, cause="max attempts")
            return self._finish(claim, DeliveryStatus.DEAD, f"gave up after {claim.attempt} attempts: {reason}",
                                error_class=error_class, peer=peer, log_it=log_it)
        delay = backoff_seconds(claim.attempt, retry.base_seconds, retry.max_seconds, retry_after)
        now = self.hub.now()
        with self.hub.db.unit_of_work() as s:
            conn = s.connection()
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == claim.delivery_id).values(
                status=DeliveryStatus.FAILED, last_error=reason[:2000], leased_until=None, peer=peer,
                error_class=error_class,
                next_attempt_at=now + timedelta(seconds=delay), updated_at=now))
            if log_it:
                log_delivery(conn, self.hub, claim, DeliveryStatus.FAILED)
            _keep_writes(conn, claim, now)
            # a write may still land: then the appointment waits for this retry
            _release_order(s, claim, hold=hold_order)
        log.info("delivery.retry", reason=reason, attempt=claim.attempt, retry_in=round(delay, 3))
        return Outcome(DeliveryStatus.FAILED, retry_in=delay, detail=reason)

    def _finish(self, claim: Claim, status: str, detail: str | None, guard: bool = False,
                error_class: str | None = None, peer: str | None = None, log_it: bool = True) -> Outcome:
        now = self.hub.now()
        if self.hub.db.backend == "postgresql":
            self._finish_postgres(claim, status, detail, guard, error_class, peer, log_it, now)
            metrics.DELIVERIES_DONE.labels(flow=claim.flow, status=status).inc()
            return Outcome(status, detail=detail)
        with self.hub.db.unit_of_work() as s:
            values: dict[str, Any] = {"status": status, "leased_until": None, "updated_at": now, "finished_at": now}
            if status != DeliveryStatus.SUCCEEDED:
                values["last_error"] = (detail or "")[:2000] or None
                values.update(error_class=error_class, peer=peer)
            conn = s.connection()
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == claim.delivery_id).values(**values))
            if log_it:
                log_delivery(conn, self.hub, claim, status)
            _keep_writes(conn, claim, now)
            if guard and claim.subject and claim.version is not None:
                put_link(s, claim.subject, GUARD_PREFIX + claim.flow, now, version=claim.version)
            # Finishers of one event's deliveries take turns on its inbox row: otherwise two that end at
            # once (PostgreSQL, READ COMMITTED) each still see the other open and neither marks it processed.
            conn.execute(_TAKE_INBOX, {"b_inbox": claim.inbox_id})
            if not conn.execute(_OPEN_LEFT, {"b_inbox": claim.inbox_id}).scalar():
                conn.execute(_MARK_PROCESSED, {"b_inbox": claim.inbox_id, "b_now": now})
            if claim.order_lock:
                unlock(s, claim.order_lock, claim.holder)
        metrics.DELIVERIES_DONE.labels(flow=claim.flow, status=status).inc()
        return Outcome(status, detail=detail)

    def _finish_postgres(self, claim: Claim, status: str, detail: str | None, guard: bool, error_class: str | None,
                         peer: str | None, log_it: bool, now: datetime) -> None:
        """`_finish` in one transaction of up to three statements: [LDV and flow audit records,] outcome + guard +
        link upserts + unlock + inbox row lock, processed mark."""
        with self.hub.db.unit_of_work() as s:
            conn = s.connection()
            if log_it:
                log_delivery(conn, self.hub, claim, status)
            guarded = guard and claim.subject is not None and claim.version is not None
            conn.execute(FINISH, {
                "b_id": claim.delivery_id, "b_status": status, "b_now": now,
                "b_ok": status == DeliveryStatus.SUCCEEDED, "b_error": (detail or "")[:2000] or None,
                "b_class": error_class, "b_peer": peer, "b_guard": guarded, "b_subject": claim.subject,
                "b_guard_peer": GUARD_PREFIX + claim.flow, "b_version": max(claim.version or 0, 0),
                "b_lock": claim.order_lock, "b_holder": claim.holder, "b_inbox": claim.inbox_id,
                "b_links": link_rows(claim.links)})
            # FINISH took the event's inbox row: finishers of one event's deliveries take turns (see `_finish`).
            conn.execute(MARK_PROCESSED, {"b_inbox": claim.inbox_id, "b_now": now})
