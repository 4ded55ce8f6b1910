"""Accountability over the processing log: one data subject's processings, an export in LDV's shape, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from hub.ldv import Subject
from hub.store.tables import AuditRecord

if TYPE_CHECKING:
    from hub.bootstrap import Hub

SUBJECT_ACCESS = "subject-access"
EXPORT_BATCH = 5000


def _ms(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def as_ldv(r: AuditRecord) -> dict[str, Any]:
    """One record in Logboek Dataverwerkingen' shape (field names of the standard; times in ms since the epoch).

    The subject id stays encrypted; the foreign operation is given both as the current standard's
    `dpl.core.foreign_operation.processor` attribute and as the earlier `foreign_operation` message.
    """
    attributes: dict[str, Any] = {"dpl.core.processing_activity_id": r.processing_activity_id}
    if r.data_subject_id is not None:
        attributes |= {"dpl.core.data_subject_id": r.data_subject_id,
                       "dpl.core.data_subject_id_type": r.data_subject_id_type}
    if r.foreign_processor:
        attributes["dpl.core.foreign_operation.processor"] = r.foreign_processor
    record: dict[str, Any] = {
        "trace_id": r.trace_id, "span_id": r.span_id, "parent_span_id": r.parent_span_id, "name": r.name or r.action,
        "status": r.status, "start_time": _ms(r.start_time or r.at), "end_time": _ms(r.end_time or r.at),
        "resource": {"attributes": {"service.name": "afsprakenhub"}}, "attributes": attributes,
    }
    if r.foreign_trace_id and r.foreign_span_id:
        record["foreign_operation"] = {"trace_id": r.foreign_trace_id, "span_id": r.foreign_span_id,
                                       "entity": r.foreign_processor}
    elif r.foreign_processor and isinstance(foreign_id := (r.references or {}).get("foreignOperationId"), str):
        record["foreign_operation"] = {"operation_id": foreign_id, "entity": r.foreign_processor}
    return record


def subject_processings(hub: Hub, subject: Subject, actor: str) -> list[dict[str, Any]]:
    """Every recorded processing of one data subject, oldest first, each with its decrypted id.

    The query is a processing of that subject too: its own record is written first (with the subject,
    encrypted), and nothing is shown when it cannot be written. It is part of what it returns.
    """
    hub.audit.record(actor=actor, action=SUBJECT_ACCESS, purpose="accountability: a data subject's processings",
                     outcome="done", subject=subject)
    indexes = hub.audit.cipher.indexes(subject)
    found: list[dict[str, Any]] = []
    with hub.db.reading() as s:
        rows = s.scalars(select(AuditRecord).where(AuditRecord.data_subject_index.in_(indexes))
                         .order_by(AuditRecord.start_time, AuditRecord.id)).all()
        for r in rows:
            if r.data_subject_id is None or r.data_subject_id_type != subject.id_type:
                continue
            if hub.audit.cipher.decrypt(r.data_subject_id, r.data_subject_id_type) != subject.value:
                continue  # an index collision (not expected with HMAC-SHA256), never shown
            item = as_ldv(r)
            item["attributes"] = {**item["attributes"], "dpl.core.data_subject_id": subject.value}
            item |= {"actor": r.actor, "flow": r.flow, "purpose": r.purpose, "outcome": r.outcome,
                     "references": r.references}
            found.append(item)
    return found


def export_records(hub: Hub, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """Records with `start <= start_time < end` in LDV's shape, in batches (memory does not grow with the log)."""
    last_id = 0
    while True:
        with hub.db.reading() as s:
            batch = s.scalars(select(AuditRecord).where(
                AuditRecord.id > last_id, func.coalesce(AuditRecord.start_time, AuditRecord.at) >= start,
                func.coalesce(AuditRecord.start_time, AuditRecord.at) < end)
                .order_by(AuditRecord.id).limit(EXPORT_BATCH)).all()
            items = [as_ldv(r) for r in batch]
            last_id = batch[-1].id if batch else last_id
        if not items:
            return
        yield from items


def purge_records(hub: Hub, older_than_days: int, actor: str) -> int:
    """Remove records older than the retention; the removal is recorded (as the newest record)."""
    cutoff = hub.now() - timedelta(days=older_than_days)
    with hub.db.unit_of_work() as s:
        removed: int = s.execute(delete(AuditRecord).where(AuditRecord.at < cutoff)).rowcount  # type: ignore[attr-defined]
    hub.audit.record(actor=actor, action="ldv-retention", purpose="retention of the processing log",
                     outcome="done", references={"olderThanDays": older_than_days, "removed": removed})
    return removed


def parse_moment(value: str, name: str) -> datetime:
    """A date (`2027-03-01`, midnight UTC) or an ISO 8601 time; naive times are UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date (2027-03-01) or an ISO 8601 time (2027-03-01T09:00:00+01:00), "
                         f"not {value[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
