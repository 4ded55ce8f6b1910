"""Apply one document's status change: publish events to TIP, complete or cancel pick-up appointments."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from flows.pickup_readiness.config import CANCEL_USES, COMPLETE_USES, FLOW, PURPOSE, config_of, invitation_key, peers
from flows.pickup_readiness.state import document_state, row_hash, save_document
from hub import ldv
from hub.errors import PermanentError
from hub.model import Appointment
from hub.ports.capabilities import Capability, missing
from hub.ports.register_errors import unsupported_reason
from mappings.key2burgerzaken import (
    LAPSED,
    OPEN_STATUSES,
    PENDING_STATUSES,
    READY,
    REMINDER,
    Document,
    DocumentState,
    Effect,
    access_event,
    choose_to_complete,
    decide,
    interpret,
    notice_event,
)

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.ports.documents import DocumentRow

log = structlog.get_logger("afsprakenhub.flows.pickup_readiness")
ACTOR = "job:pickups"


@dataclass
class DocumentRun:
    """Applies effects for one job run; `counts` says what happened (or would, on a dry run)."""

    hub: Hub
    dry_run: bool
    now: datetime
    counts: Counter[str] = field(default_factory=Counter)
    #: Set when the register cannot complete or cancel pick-ups ("not supported by register …").
    unsupported_reason: str | None = None

    def handle(self, row: DocumentRow, *, force: bool = False) -> None:
        """Apply the row unless its content is unchanged (`force`: decide anyway, e.g. for reminders).

        TransientError propagates (nothing stored: the next run tries again). A PermanentError is recorded
        on the document and in the audit log, and the document is not tried again until it changes.
        """
        config = config_of(self.hub)
        previous, stored_hash = document_state(self.hub, row.application_number)
        digest = row_hash(row)
        if stored_hash == digest and (not force or (previous is not None and previous.reminded_at is not None)):
            self.counts["unchanged"] += 1
            return
        doc = interpret(row, config)
        state = (previous or DocumentState()).model_copy(deep=True)
        if isinstance(doc, str):
            self.counts["unusable"] += 1
            log.warning("pickups.row_unusable", application_number=row.application_number, reason=doc)
            state.last_error = doc
            if not self.dry_run:
                save_document(self.hub, row.application_number, state, digest)
            return
        effects = decide(previous, doc, self.now, config)
        state.status, state.status_date, state.document_type = doc.status, doc.status_date, doc.document_type
        state.last_error = None
        try:
            for effect in effects:
                self.counts[effect.value] += 1
                if not self.dry_run:
                    self._apply(effect, row, doc, state)
        except PermanentError as exc:
            self.counts["failed"] += 1
            state.last_error = exc.reason
            self._audit("apply-document-status", "failed", doc, reason=exc.reason)
            log.warning("pickups.document_failed", application_number=doc.application_number, reason=exc.reason)
        if not self.dry_run:
            save_document(self.hub, row.application_number, state, digest)
        if effects and not self.dry_run:
            ldv.processed(ldv.subject_of_bsn(row.bsn))  # the job's record gets a child record for this person
            self._audit("apply-document-status", "ok", doc, effects=",".join(e.value for e in effects))

    # -- effects --------------------------------------------------------------------------------
    def _apply(self, effect: Effect, row: DocumentRow, doc: Document, state: DocumentState) -> None:
        config = config_of(self.hub)
        _, tip, _ = peers(self.hub)
        if effect is Effect.ACCESS:
            tip.publish(access_event(doc, config, tip.source, invitation_key(self.hub)))
        elif effect in (Effect.READY, Effect.REMINDER):
            type_ = READY if effect is Effect.READY else REMINDER
            at = doc.status_date if effect is Effect.READY else self.now
            tip.publish(notice_event(type_, doc, config, tip.source, at, invitation_key=invitation_key(self.hub)))
            state.notified_at = state.notified_at or self.now
            if effect is Effect.REMINDER:
                state.reminded_at = self.now
        elif effect is Effect.COMPLETE:
            self._complete(row, doc, state)
        elif effect is Effect.LAPSE:
            cancelled = self._cancel_pending(row, doc, state)
            tip.publish(notice_event(LAPSED, doc, config, tip.source, doc.status_date, cancelled=cancelled))
        log.info("pickups.effect", effect=effect.value, application_number=doc.application_number,
                 document_type=doc.document_type, document_number=doc.document_number_masked)

    def _unsupported(self, uses: frozenset[Capability]) -> bool:
        """Whether the register lacks what completing or cancelling pick-ups needs (counted, and logged once)."""
        _, _, register = peers(self.hub)
        lacking = missing(uses, register.capabilities)
        if not lacking:
            return False
        if not self.counts["unsupported"]:
            log.warning("pickups.unsupported", reason=unsupported_reason(register.vendor, *lacking))
        self.counts["unsupported"] += 1
        self.unsupported_reason = unsupported_reason(register.vendor, *lacking)
        return True

    def _pickups(self, row: DocumentRow, doc: Document, statuses: frozenset[Any]) -> list[Appointment]:
        if not row.bsn:
            self.counts["no_bsn"] += 1
            return []
        _, _, register = peers(self.hub)
        return [a for a in register.list_appointments(customer_bsn=row.bsn)
                if a.status in statuses and any(p.code == doc.pickup_product for p in a.products)]

    def _complete(self, row: DocumentRow, doc: Document, state: DocumentState) -> None:
        if self._unsupported(COMPLETE_USES):
            return
        target = choose_to_complete(self._pickups(row, doc, OPEN_STATUSES), doc.status_date)
        if target is None:
            self.counts["no_open_pickup"] += 1
            return
        _, _, register = peers(self.hub)
        register.complete_appointment(target.id, reason="document handed out (Key2Burgerzaken)",
                                      notify_customer=False)
        state.completed_appointments.append(target.id)
        self.counts["appointments_completed"] += 1

    def _cancel_pending(self, row: DocumentRow, doc: Document, state: DocumentState) -> list[str]:
        if self._unsupported(CANCEL_USES):
            return []
        _, _, register = peers(self.hub)
        cancelled: list[str] = []
        for appointment in self._pickups(row, doc, PENDING_STATUSES):
            register.cancel_appointment(appointment.id, reason="document lapsed (Key2Burgerzaken)",
                                        notify_customer=False)
            cancelled.append(appointment.id)
        state.cancelled_appointments.extend(cancelled)
        self.counts["appointments_cancelled"] += len(cancelled)
        return cancelled

    def _audit(self, action: str, outcome: str, doc: Document, **refs: str) -> None:
        self.hub.audit.record(actor=ACTOR, flow=FLOW, action=action, purpose=PURPOSE, outcome=outcome,
                              references={"applicationNumber": doc.application_number,
                                          "documentType": doc.document_type, "status": doc.status.value, **refs})
