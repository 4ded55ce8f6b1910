"""`--repair`: fixes go through the normal delivery path, never straight to a peer.

Each fix is an inbox row plus one delivery for the flow that owns the peer (the register's current snapshot for
`calendars` or `contact_moments`, a stray-record removal for `drift_repair`), queued with a delay so the fixes
reach a peer at `drift.repairs_per_second` at most. The flows are idempotent, so a fix sent twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from hub.bootstrap import Hub
from hub.intake import hashed_key
from hub.model import APPOINTMENT_EVENT_PREFIX, Appointment, AppointmentStatus
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent

log = structlog.get_logger("afsprakenhub.flows.drift")

SOURCE = "urn:afsprakenhub:drift"
#: Event type of a stray-record removal, handled by the `drift_repair` flow.
REMOVE_TYPE = "nl.afsprakenhub.drift.remove"


class Removal(BaseModel):
    """A record the hub placed in a peer that belongs to no appointment: remove it (idempotent: gone is fine)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    peer: str
    container: str  # Outlook mailbox; Salesforce object; …
    record_id: str


def event_kind(appointment: Appointment) -> str:
    """The appointment event kind a snapshot is sent under (its status; `closed` has no event of its own)."""
    return "completed" if appointment.status == AppointmentStatus.CLOSED else appointment.status.value


class Queue:
    """Stores fixes as deliveries of one run, spaced `1 / rate` seconds apart, and queues them."""

    def __init__(self, hub: Hub, run_id: str, rate: float) -> None:
        self.hub = hub
        self.run_id = run_id
        self.spacing = 1.0 / rate
        self.queued: list[int] = []

    def _store(self, key: str, event_type: str, subject: str | None, version: int | None, data: Any,
               flow: str) -> int | None:
        now = self.hub.now()
        delay = len(self.queued) * self.spacing
        payload = {"specversion": "1.0", "id": f"drift-{self.run_id}-{key}", "source": SOURCE, "type": event_type,
                   "subject": subject, "time": now.isoformat(), "datacontenttype": "application/json", "data": data}
        dedupe = hashed_key(f"ce:{SOURCE}\x1f{payload['id']}")
        with self.hub.db.unit_of_work() as s:
            if s.query(InboxEvent.id).filter(InboxEvent.dedupe_key == dedupe).first() is not None:
                return None  # this run queued it already
            inbox = InboxEvent(dedupe_key=dedupe, source=SOURCE, event_id=payload["id"], type=event_type,
                               subject=subject, version=version, payload=payload, caller="drift", received_at=now)
            s.add(inbox)
            s.flush()
            delivery = Delivery(inbox_id=inbox.id, flow=flow, status=DeliveryStatus.PENDING,
                                next_attempt_at=now + timedelta(seconds=delay), created_at=now, updated_at=now)
            s.add(delivery)
            s.flush()
            delivery_id = delivery.id
        self.queued.append(delivery_id)
        self.hub.runtime.enqueue(delivery_id, delay)
        return delivery_id

    def snapshot(self, appointment: Appointment, flow: str) -> int | None:
        """The register's snapshot, for `flow` only (other flows of appointment events are not disturbed)."""
        data = appointment.model_dump(mode="json", by_alias=True)
        return self._store(f"{flow}-{appointment.id}", APPOINTMENT_EVENT_PREFIX + event_kind(appointment),
                           appointment.id, appointment.version, data, flow)

    def removal(self, removal: Removal, flow: str = "drift_repair") -> int | None:
        return self._store(f"{removal.peer}-{removal.record_id}", REMOVE_TYPE, None, None,
                           removal.model_dump(mode="json", by_alias=True), flow)


__all__ = ["REMOVE_TYPE", "SOURCE", "Queue", "Removal", "event_kind"]
