"""The audit log, which is the processing log (Logboek Dataverwerkingen): who, what, why, when, for whom.

Every record carries LDV's fields: the trace it belongs to (the current span's, else a new trace), its own
span id, the parent span, status, start and end, the processing activity and, when the processing is about a
person, the subject's identifier encrypted (`hub.ldv`). References never hold personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from opentelemetry import trace
from sqlalchemy import Connection, Table, insert

from hub import ldv
from hub.ldv import Processing, ProcessingLogError, Subject, SubjectCipher
from hub.observability_settings import LdvSettings
from hub.store.db import Database
from hub.store.tables import AuditRecord, utcnow

AUDIT = cast(Table, AuditRecord.__table__)
_KEEP = object()  # "the current processing's subject"


class AuditLog:
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow, settings: LdvSettings | None = None) -> None:
        self._db = db
        self._now = now
        self.settings = settings or LdvSettings()
        self.cipher = SubjectCipher(self.settings.subject_key.get_secret_value(),
                                    [k.get_secret_value() for k in self.settings.previous_subject_keys])

    def record(self, *, actor: str, action: str, purpose: str, outcome: str,
               flow: str | None = None, references: dict[str, Any] | None = None,
               subject: Subject | object | None = _KEEP, status: str | None = None,
               persons: Sequence[Subject] = ()) -> None:
        """One action's record: a child span of the current span (or a new trace), in the current processing.

        `persons` (a job's): one more record per distinct person processed, each a child of the current span
        with that person as subject, inserted in the same transaction as the action's record (a batch)."""
        row = self.row(actor=actor, action=action, purpose=purpose, outcome=outcome, flow=flow,
                       references=references, subject=subject, status=status)
        if not persons:
            with self._db.one_statement() as s:  # one INSERT
                s.execute(insert(AUDIT), row)
            return
        rows = [row]
        for person in dict.fromkeys(persons):  # distinct, in order
            child = row | {"span_id": ldv.new_span_id(), "name": f"{action}: subject",
                           "action": f"{action}: subject"}
            self._add_subject(child, person)
            rows.append(child)
        with self._db.unit_of_work() as s:  # the job's record and its persons': both or neither
            s.connection().execute(insert(AUDIT), rows)

    def row(self, *, actor: str, action: str, purpose: str, outcome: str, flow: str | None = None,
            references: dict[str, Any] | None = None, subject: Subject | object | None = _KEEP,
            status: str | None = None) -> dict[str, Any]:
        """`record`'s row, not inserted: a delivery keeps its flow's records for its finish transaction."""
        now = self._now()
        processing = ldv.current()
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            trace_id, parent = f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"
        else:
            trace_id, parent = ldv.new_trace_id(), None
        row: dict[str, Any] = {
            "at": now, "actor": actor, "flow": flow, "action": action, "purpose": purpose,
            "references": references or {}, "outcome": outcome,
            "trace_id": trace_id, "span_id": ldv.new_span_id(), "parent_span_id": parent, "name": action,
            "status": status or ldv.status_of(outcome), "start_time": now, "end_time": now,
            "processing_activity_id": processing.activity if processing else self.activity(flow, actor),
        }
        if processing is not None:
            row |= {"foreign_trace_id": processing.foreign_trace_id, "foreign_span_id": processing.foreign_span_id,
                    "foreign_processor": processing.foreign_processor}
        self._add_subject(row, processing.subject if subject is _KEEP and processing else
                          None if subject is _KEEP else cast(Subject | None, subject))
        return row

    def record_processing(self, conn: Connection, processing: Processing, *, outcome: str, status: str,
                          actor: str, flow: str | None, purpose: str, references: dict[str, Any],
                          before: Sequence[dict[str, Any]] = ()) -> None:
        """The record of a whole processing (its own span), inside the caller's transaction, after the `before`
        rows (its flow's own records, `row`) in the same statement; a failure raises `ProcessingLogError` so the
        caller's outcome is rolled back with it."""
        now = self._now()
        row: dict[str, Any] = {
            "at": now, "actor": actor, "flow": flow, "action": processing.name, "purpose": purpose,
            "references": references, "outcome": outcome,
            "trace_id": processing.trace_id, "span_id": processing.span_id,
            "parent_span_id": processing.parent_span_id, "name": processing.name, "status": status,
            "start_time": processing.start_time, "end_time": now, "processing_activity_id": processing.activity,
            "foreign_trace_id": processing.foreign_trace_id, "foreign_span_id": processing.foreign_span_id,
            "foreign_processor": processing.foreign_processor,
        }
        self._add_subject(row, processing.subject)
        rows = [*before, row,
                *(self._peer_operation(row, peer, remote_id) for peer, remote_id in processing.peer_operations)]
        try:
            conn.execute(insert(AUDIT), rows)
        except Exception as exc:
            raise ProcessingLogError(exc) from exc

    @staticmethod
    def _peer_operation(row: dict[str, Any], peer: str, remote_id: str) -> dict[str, Any]:
        """A processing's child record for what it did at a peer: the peer as `foreign_operation.processor`
        and the peer's own id of that operation (record id, event id, URL) as its operation id."""
        name = f"{row['name']}: {peer}"[:200]
        return row | {"span_id": ldv.new_span_id(), "parent_span_id": row["span_id"], "name": name, "action": name,
                      "references": {**row["references"], "foreignOperationId": remote_id[:500]},
                      "foreign_trace_id": None, "foreign_span_id": None, "foreign_processor": ldv.peer_uri(peer)}

    def activity(self, flow: str | None, actor: str) -> str:
        """The processing activity of a record outside any processing: its flow's, else its actor kind's."""
        return self.settings.activity_for(flow or actor.split(":", 1)[0])

    def _add_subject(self, row: dict[str, Any], subject: Subject | None) -> None:
        if subject is None:
            row |= {"data_subject_id_type": None, "data_subject_id": None, "data_subject_index": None}
            return
        token, index = self.cipher.encrypt(subject)
        row |= {"data_subject_id_type": subject.id_type, "data_subject_id": token, "data_subject_index": index}
