"""The hub's own tables: inbox, deliveries, links, audit log, job state and locks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class DeliveryStatus:
    """Delivery states. `failed` means: failed, another attempt is scheduled."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"
    SKIPPED = "skipped"
    ALL = (PENDING, SUCCEEDED, FAILED, DEAD, SKIPPED)
    OPEN = (PENDING, FAILED)


class InboxEvent(Base):
    """Every accepted inbound event, stored before it is acknowledged."""

    __tablename__ = "inbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(2000))
    event_id: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(500), index=True)
    subject: Mapped[str | None] = mapped_column(String(500), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    caller: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: W3C Trace Context: the intake span (parent of the deliveries' spans), its tracestate, and the caller's
    #: operation as it came in (`traceparent` header or CloudEvents extension); null when none was made.
    traceparent: Mapped[str | None] = mapped_column(String(55))
    tracestate: Mapped[str | None] = mapped_column(String(512))
    caller_traceparent: Mapped[str | None] = mapped_column(String(55))


class Delivery(Base):
    """One inbound event handed to one flow; retried on its own."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("inbox_id", "flow", name="uq_delivery_inbox_flow"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox.id"), index=True)
    flow: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: How often an operator replayed it: the delivery keeps its id, the flow sees `InboundEvent.replay`.
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The peer whose answer last failed it (set by the peer guard), for `replay --peer`.
    peer: Mapped[str | None] = mapped_column(String(100))
    #: `permanent`, `transient` (gave up), `unexpected:<Type>`, `stale`, `purged`, `unregistered`, `waiting`.
    error_class: Mapped[str | None] = mapped_column(String(100))


class PeerBreaker(Base):
    """A peer's circuit breaker, shared by every process: closed, open, half_open or paused (by an operator)."""

    __tablename__ = "peer_breakers"
    peer: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="closed")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    open_seconds: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReplayRun(Base):
    """One filtered bulk replay: its filter, the highest delivery id it covers and how far it got (resumable)."""

    __tablename__ = "replay_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(200))
    filter: Mapped[dict[str, Any]] = mapped_column(JSON)
    upto_id: Mapped[int] = mapped_column(Integer)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    replayed: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="running")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Link(Base):
    """Per appointment and peer (or flow): remote id, last applied version, content hash."""

    __tablename__ = "links"
    appointment_id: Mapped[str] = mapped_column(String(500), primary_key=True)
    peer: Mapped[str] = mapped_column(String(100), primary_key=True)
    remote_id: Mapped[str | None] = mapped_column(String(500))
    last_version: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditRecord(Base):
    """The processing log: one record per action (Logboek Dataverwerkingen "logregel"), with who, what, why.

    LDV's fields keep its names: `trace_id`, `span_id`, `parent_span_id`, `name`, `status` (Unset/Ok/Error),
    `start_time`, `end_time`, `processing_activity_id`, `data_subject_id_type`, `data_subject_id` (encrypted,
    AES-256-GCM) and the foreign operation (`foreign_trace_id`, `foreign_span_id`, `foreign_processor`).
    `data_subject_index` is a keyed index (HMAC) of the subject id, so one subject's records can be found.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_trace", "trace_id", "span_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    flow: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(200))
    references: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(50))
    trace_id: Mapped[str | None] = mapped_column(String(32))
    span_id: Mapped[str | None] = mapped_column(String(16))
    parent_span_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(10))
    start_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    processing_activity_id: Mapped[str | None] = mapped_column(String(500))
    data_subject_id_type: Mapped[str | None] = mapped_column(String(50))
    data_subject_id: Mapped[str | None] = mapped_column(Text)
    data_subject_index: Mapped[str | None] = mapped_column(String(64), index=True)
    foreign_trace_id: Mapped[str | None] = mapped_column(String(32))
    foreign_span_id: Mapped[str | None] = mapped_column(String(16))
    foreign_processor: Mapped[str | None] = mapped_column(String(500))


class JobState(Base):
    """A scheduled job's incremental state (watermark/cursor) and last run."""

    __tablename__ = "job_state"
    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    watermark: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    last_slot: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(50))
    last_detail: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """A named lease; taken by insert, renewed or stolen only after expiry."""

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PeerCallStats(Base):
    """Per connector: calls that succeeded and failed, the last failure's outcome, the last known headroom."""

    __tablename__ = "peer_call_stats"
    connector: Mapped[str] = mapped_column(String(100), primary_key=True)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    headroom_used: Mapped[int | None] = mapped_column(Integer)
    headroom_limit: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConsoleSession(Base):
    """An open console session: the cookie carries only its random id (the row keys on a hash of it).

    A session ends when its row is gone (logout) or past `expires_at`; one opened with an API token also ends
    when that token is no longer configured (`token_fingerprint` is an HMAC of the token, never the token).
    """

    __tablename__ = "console_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(20))
    token_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
