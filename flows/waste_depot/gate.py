"""The gate's access check and the booking-time pass check, answered from the hub's own store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from flows.waste_depot import store
from flows.waste_depot.codes import pass_key
from flows.waste_depot.messages import message_for
from flows.waste_depot.rules import Decision, Rules, decide
from flows.waste_depot.visit import VisitData, dedupe_key, visit_event
from hub.store.tables import AuditRecord
from hub.store.waste_depot_tables import WasteDepotScan, WasteDepotVisit

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
    reason: str
    message: str
    appointment_id: str | None
    visits_left: int | None


class PassStatus(_Camel):
    """The booking-time pass check."""

    status: Literal["valid", "void", "unknown"]
    visits_left: int


def rules_of(hub: Hub) -> Rules:
    s = hub.settings.waste_depot
    return Rules(free_visits=s.free_visits_per_year, margin=timedelta(minutes=s.margin_minutes),
                 retry_window=timedelta(seconds=s.retry_seconds))


def _facts(hub: Hub, check: AccessCheck, year: int) -> tuple[store.rules.Booking | None, store.rules.Visit | None,
                                                              store.rules.Pass | None, str | None]:
    key = hub.settings.waste_depot.signing_key.get_secret_value()
    with hub.db.reading() as s:
        booking = store.booking_by_code(s, check.qr_code)
        if booking is None:
            return None, None, None, None
        visit = store.visit_of(s, booking.appointment_id)
        card = pass_key(key, check.pass_number) if check.pass_number else booking.pass_key
        pass_ = store.pass_of(s, card, year) if card else None
    return booking, visit, pass_, card


def check_access(hub: Hub, check: AccessCheck, at: datetime | None = None) -> AccessAnswer:
    """Decide, record the visit once (and its delivery to the register and the contact-moment register),
    record the scan and its audit line (pass by pseudonymous key), and answer. `at` is the scan's time (the
    hub's clock unless a sandbox gate simulates another); the visit's delivery is due on the hub's clock."""
    settings = hub.settings.waste_depot
    now = at or hub.now()
    rules = rules_of(hub)
    gate_location = settings.gates.get(check.gate_id)
    year = store.year_of(now)
    booking, visit, pass_, card = _facts(hub, check, year) if gate_location else (None, None, None, None)
    decision = decide(now=now, gate_id=check.gate_id, gate_location=gate_location, booking=booking, visit=visit,
                      pass_=pass_, rules=rules)
    if decision.new_visit and booking is not None and card is not None:
        decision = _record_visit(hub, check, booking.appointment_id, card, year, decision, now)
    appointment_id = booking.appointment_id if booking else None
    store.record_scan(hub.db, WasteDepotScan(
        at=now, gate_id=check.gate_id, appointment_id=appointment_id, pass_key=card,
        decision="allow" if decision.allow else "deny", reason=decision.reason), AuditRecord(
        at=now, actor=f"gate:{check.gate_id}", flow="waste_depot", action="waste-depot-access-check",
        purpose=store.PURPOSE, outcome="allow" if decision.allow else "deny",
        references={"reason": decision.reason, "appointmentId": appointment_id, "gateId": check.gate_id,
                    "passKey": card}))
    log.info("waste_depot.check", gate_id=check.gate_id, appointment_id=appointment_id,
             decision="allow" if decision.allow else "deny", reason=decision.reason)
    return AccessAnswer(decision="allow" if decision.allow else "deny", reason=decision.reason,
                        message=message_for(decision), appointment_id=appointment_id,
                        visits_left=decision.visits_left)


def _record_visit(hub: Hub, check: AccessCheck, appointment_id: str, card: str, year: int,
                  decision: Decision, now: datetime) -> Decision:
    """Store the visit's delivery first (deduplicated per appointment), then the visit; when a concurrent scan
    recorded the visit first, decide again against it (the same gate within a minute: allow, else used)."""
    event = visit_event(VisitData(appointment_id=appointment_id, gate_id=check.gate_id, allowed_at=now))
    [accepted] = hub.intake.accept([event], f"gate:{check.gate_id}", dedupe_keys=[dedupe_key(appointment_id)])
    hub.runtime.enqueue_many(accepted.delivery_ids)
    assert decision.visits_left is not None
    if store.insert_visit(hub.db, WasteDepotVisit(appointment_id=appointment_id, pass_key=card, year=year,
                                                  gate_id=check.gate_id, allowed_at=now,
                                                  visits_left=decision.visits_left)):
        return decision
    with hub.db.reading() as s:
        visit = store.visit_of(s, appointment_id)
    if visit is not None and visit.gate_id == check.gate_id and now - visit.allowed_at <= rules_of(hub).retry_window:
        return Decision(True, "ok", visits_left=visit.visits_left)
    return Decision(False, "already-used")


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
