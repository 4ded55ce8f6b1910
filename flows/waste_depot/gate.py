"""The gate's access check and the booking-time pass check, answered from the hub's own store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import select

from flows.waste_depot import store
from flows.waste_depot.codes import pass_key, signed_code
from flows.waste_depot.messages import message_for
from flows.waste_depot.rules import Decision, Reason, Rules, Visit, decide
from flows.waste_depot.scan_log import scan_log_of
from flows.waste_depot.visit import VisitData, dedupe_key, visit_event
from hub.intake import hashed_key
from hub.store.waste_depot_tables import WasteDepotBooking

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.flows.waste_depot")


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class AccessCheck(_Camel):
    """What a gate terminal sends."""

    qr_code: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")
    gate_id: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")
    pass_number: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[^\x00]*$")


class AccessAnswer(_Camel):
    """What the gate gets: the decision, its reason, the Dutch display text; never a name."""

    decision: Literal["allow", "deny"]
    reason: Reason
    message: str
    appointment_id: str | None
    visits_left: int | None


class PassStatus(_Camel):
    """The booking-time pass check."""

    status: Literal["valid", "void", "unknown"]
    visits_left: int


class QrCode(_Camel):
    """What TIP puts in the confirmation mail: the register's own QR value where it issued one, else the hub's."""

    appointment_id: str
    qr_code: str
    issued_by: Literal["register", "hub"]


def rules_of(hub: Hub) -> Rules:
    s = hub.settings.waste_depot
    return Rules(free_visits=s.free_visits_per_year, margin=timedelta(minutes=s.margin_minutes),
                 retry_window=timedelta(seconds=s.retry_seconds))


def check_access(hub: Hub, check: AccessCheck, at: datetime | None = None) -> AccessAnswer:
    """Decide from one read. An allowed first scan stores the visit, its delivery (checked in at the register, a
    contact moment), the scan and its audit line (pass by pseudonymous key) in one transaction before answering;
    any other scan is queued for the batched scan log (no write on the request path). Then answer. `at` is the
    scan's time (the hub's clock unless a sandbox gate simulates another); the visit's delivery is due on the
    hub's clock."""
    settings = hub.settings.waste_depot
    now = at or hub.now()
    rules = rules_of(hub)
    gate_location = settings.gates.get(check.gate_id)
    year = store.year_of(now)
    given = pass_key(settings.signing_key.get_secret_value(), check.pass_number) if check.pass_number else None
    booking, visit, pass_, card = store.facts(hub.db, check.qr_code, given, year) if gate_location \
        else (None, None, None, given)
    decision = decide(now=now, gate_id=check.gate_id, gate_location=gate_location, booking=booking, visit=visit,
                      pass_=pass_, rules=rules)
    appointment_id = booking.appointment_id if booking else None
    new_visit: dict[str, object] | None = None
    delivery: store.VisitDelivery | None = None
    if decision.new_visit and appointment_id is not None and card is not None:
        new_visit = {"appointment_id": appointment_id, "pass_key": card, "year": year, "gate_id": check.gate_id,
                     "allowed_at": now, "visits_left": decision.visits_left}
        delivery = visit_delivery(hub, appointment_id, check.gate_id, now)

    def against(other: Visit | None) -> tuple[str, str]:
        """Another scan stored the visit first: the same gate within the retry window gets its allow."""
        nonlocal decision
        if other is not None and other.gate_id == check.gate_id and now - other.allowed_at <= rules.retry_window:
            decision = Decision(True, "ok", visits_left=other.visits_left)
            return "allow", "ok"
        decision = Decision(False, "already-used")
        return "deny", "already-used"

    outcome = "allow" if decision.allow else "deny"
    scan = {"at": now, "gate_id": check.gate_id, "appointment_id": appointment_id, "pass_key": card,
            "decision": outcome, "reason": decision.reason}
    audit = {"at": now, "actor": f"gate:{check.gate_id}", "flow": "waste_depot", "action": "waste-depot-access-check",
             "purpose": store.PURPOSE,
             "references": {"appointmentId": appointment_id, "gateId": check.gate_id, "passKey": card}}
    if new_visit is None:  # a deny or a retry's repeated allow: no write transaction on the request path
        scan_log_of(hub).add(scan, audit)
        delivery_ids: list[int] = []
    else:
        _, delivery_ids = store.record(hub.db, scan, audit, new_visit, delivery, against)
    if delivery_ids:
        hub.runtime.enqueue_many(delivery_ids)  # a lost message is re-sent by the sweeper
    outcome = "allow" if decision.allow else "deny"
    log.info("waste_depot.check", gate_id=check.gate_id, appointment_id=appointment_id, decision=outcome,
             reason=decision.reason)
    return AccessAnswer(decision=outcome, reason=decision.reason, message=message_for(decision),
                        appointment_id=appointment_id, visits_left=decision.visits_left)


def visit_delivery(hub: Hub, appointment_id: str, gate_id: str, allowed_at: datetime) -> store.VisitDelivery:
    """The inbox row of the visit's internal event, as the intake would store it (dedupe key per appointment,
    due on the hub's clock), and the flows that consume it."""
    event = visit_event(VisitData(appointment_id=appointment_id, gate_id=gate_id, allowed_at=allowed_at))
    now = hub.now()
    flows = tuple(f.name for f in hub.registry.for_event(event, hub))
    inbox = {"dedupe_key": hashed_key(dedupe_key(appointment_id)), "source": event.source, "event_id": event.id,
             "type": event.type, "subject": event.subject, "version": None, "payload": event.model_dump(mode="json"),
             "caller": f"gate:{gate_id}", "received_at": now, "processed_at": None if flows else now,
             "purged_at": None}
    return store.VisitDelivery(inbox, flows, now)


def qr_code_for(hub: Hub, appointment_id: str) -> QrCode:
    """The stored booking's code; before its event is processed, the code the hub signs (the same value)."""
    key = hub.settings.waste_depot.signing_key.get_secret_value()
    signed = signed_code(key, appointment_id)
    with hub.db.reading() as s:
        stored = s.scalar(select(WasteDepotBooking.qr_code).where(WasteDepotBooking.appointment_id == appointment_id))
    code = stored or signed
    return QrCode(appointment_id=appointment_id, qr_code=code, issued_by="hub" if code == signed else "register")


def pass_status(hub: Hub, number: str) -> PassStatus:
    """valid / void / unknown and the free visits left this calendar year."""
    settings = hub.settings.waste_depot
    key = pass_key(settings.signing_key.get_secret_value(), number)
    with hub.db.reading() as s:
        found = store.pass_of(s, key, store.year_of(hub.now()))
    if found is None:
        return PassStatus(status="unknown", visits_left=0)
    left = max(0, settings.free_visits_per_year - found.used)
    return PassStatus(status="valid" if found.status == "valid" else "void", visits_left=left)
