"""The gate's access check (from the process's gate index; first scans through the group commit) and the
booking-time pass check, answered from the hub's own store."""

from __future__ import annotations

import asyncio
import logging
import weakref
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from flows.waste_depot.admit import admissions_of, started_admissions
from flows.waste_depot.codes import pass_key, signed_code
from flows.waste_depot.index import index_of, loaded_index
from flows.waste_depot.messages import message_for
from flows.waste_depot.rules import Reason, Rules, decide
from flows.waste_depot.scan_log import scan_log_of
from flows.waste_depot.visit import EVENT_TYPE, SOURCE, dedupe_key, visit_payload
from hub.intake import hashed_key
from hub.model import CloudEvent
from hub.store import waste_depot as store

if TYPE_CHECKING:
    from collections.abc import Callable

    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.flows.waste_depot")
PURPOSE = "admit customers with a booked appointment and a valid pass to the waste depot"


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
    found = _RULES.get(hub)
    if found is None:
        s = hub.settings.waste_depot
        found = _RULES[hub] = Rules(free_visits=s.free_visits_per_year, margin=timedelta(minutes=s.margin_minutes),
                                    retry_window=timedelta(seconds=s.retry_seconds))
    return found


_RULES: weakref.WeakKeyDictionary[Hub, Rules] = weakref.WeakKeyDictionary()
_STDLIB_LOG = logging.getLogger("afsprakenhub.flows.waste_depot")


def _log_check(gate_id: str, appointment_id: str | None, decision: str, reason: str) -> None:
    """One line per scan at INFO; skipped before the (redacting) processors when INFO is off."""
    if _STDLIB_LOG.isEnabledFor(logging.INFO):
        log.info("waste_depot.check", gate_id=gate_id, appointment_id=appointment_id, decision=decision,
                 reason=reason)


class _Miss:
    """The index does not know the code (or is not loaded yet) and may not read the store here (event loop)."""


MISS = _Miss()


def _first_scan_answer(result: store.Admitted, appointment_id: str) -> AccessAnswer:
    outcome = "allow" if result.decision.allow else "deny"
    return AccessAnswer(decision=outcome, reason=result.decision.reason, message=message_for(result.decision),
                        appointment_id=appointment_id, visits_left=result.decision.visits_left)


def _audit_of(scan: store.FirstScan, card: str | None) -> dict[str, Any]:
    return {"at": scan.at, "actor": f"gate:{scan.gate_id}", "flow": "waste_depot",
            "action": "waste-depot-access-check", "purpose": PURPOSE,
            "references": {"appointmentId": scan.appointment_id, "gateId": scan.gate_id, "passKey": card}}


def decide_scan(hub: Hub, check: AccessCheck, at: datetime | None = None, *, may_read: bool = True,
                on_loop: bool = False
                ) -> AccessAnswer | tuple[Future[store.Admitted] | asyncio.Future[store.Admitted], str] | _Miss:
    """Decide a scan from the gate index. A scan that would create a visit goes to the group commit (returns
    its future and the appointment id: the running event loop's future when `on_loop`); any other scan is
    answered here and queued for the batched scan log. An unknown code makes the index read what changed first
    (`MISS` when `may_read` is False)."""
    settings = hub.settings.waste_depot
    now = at or hub.now()
    rule = rules_of(hub)
    gate_location = settings.gates.get(check.gate_id)
    year = store.year_of(now)
    given = pass_key(settings.signing_key.get_secret_value(), check.pass_number) if check.pass_number else None
    index = index_of(hub) if may_read else loaded_index(hub)
    if index is None:  # the first scan of this process loads the index, off the event loop
        return MISS
    booking, visit, pass_, card = index.facts(check.qr_code, given, year) if gate_location \
        else (None, None, None, given)
    if gate_location and booking is None:
        if not may_read:
            return MISS
        index.sync()  # looked up again even when this sync read nothing: the poller may have read it meanwhile
        booking, visit, pass_, card = index.facts(check.qr_code, given, year)
    decision = decide(now=now, gate_id=check.gate_id, gate_location=gate_location, booking=booking, visit=visit,
                      pass_=pass_, rules=rule)
    appointment_id = booking.appointment_id if booking else None
    if decision.new_visit and appointment_id is not None and gate_location is not None:
        writer = admissions_of(hub, index, rule, _delivery_of(hub), _audit_of)
        scan = store.FirstScan(appointment_id, check.gate_id, gate_location, given, now, year)
        return (writer.submit_async(scan) if on_loop else writer.submit(scan)), appointment_id
    outcome = "allow" if decision.allow else "deny"
    row = {"at": now, "gate_id": check.gate_id, "appointment_id": appointment_id, "pass_key": card,
            "decision": outcome, "reason": decision.reason}
    audit = {"at": now, "actor": f"gate:{check.gate_id}", "flow": "waste_depot", "action": "waste-depot-access-check",
             "purpose": PURPOSE,
             "references": {"appointmentId": appointment_id, "gateId": check.gate_id, "passKey": card}}
    scan_log_of(hub).add(row, audit)
    _log_check(check.gate_id, appointment_id, outcome, decision.reason)
    return AccessAnswer(decision=outcome, reason=decision.reason, message=message_for(decision),
                        appointment_id=appointment_id, visits_left=decision.visits_left)


def _delivery_of(hub: Hub) -> Callable[[store.FirstScan], store.VisitDelivery]:
    return lambda x: visit_delivery(hub, x.appointment_id, x.gate_id, x.at)


def prepare(hub: Hub) -> None:
    """Before the first scan (`afsprakenhub serve` with gates configured): the gate index loaded and polled, the
    group commit's thread started and its statements run once in a transaction rolled back. Otherwise the first
    scans after a start wait for all of that (the first one for the whole index)."""
    settings = hub.settings.waste_depot
    if not settings.gates:
        return
    index = index_of(hub)
    rule, delivery_of = rules_of(hub), _delivery_of(hub)
    admissions_of(hub, index, rule, delivery_of, _audit_of)
    gate_id, location = next(iter(settings.gates.items()))
    now = hub.now()
    scan = store.FirstScan("afsprakenhub-warm-up", gate_id, location, None, now, store.year_of(now))
    store.warm_up(hub.db, scan, rule, delivery_of, _audit_of, decide)
    _ = hub.runtime  # the broker's client built (its modules imported) now, not after the first visits' commit
    log.info("waste_depot.gate_ready", gates=len(settings.gates), index_seq=index.seq)


def check_access(hub: Hub, check: AccessCheck, at: datetime | None = None) -> AccessAnswer:
    """Decide one scan (blocking): from the gate index; an allowed first scan is answered once its visit, its
    delivery (checked in at the register, a contact moment), the scan and its audit line (pass by pseudonymous
    key) are committed by the group commit. `at` is the scan's time (the hub's clock unless a sandbox gate
    simulates another); the visit's delivery is due on the hub's clock."""
    decided = decide_scan(hub, check, at)
    if isinstance(decided, AccessAnswer):
        return decided
    assert not isinstance(decided, _Miss)
    future, appointment_id = decided
    assert isinstance(future, Future)
    return _logged(check, _first_scan_answer(future.result(), appointment_id))


async def check_access_async(hub: Hub, check: AccessCheck) -> AccessAnswer:
    """`check_access` for the event loop: decided in memory, awaiting only the group commit of a first scan
    (and a worker thread only for a code the index does not know yet)."""
    decided = decide_scan(hub, check, may_read=False, on_loop=True)
    if isinstance(decided, AccessAnswer):
        writer = started_admissions(hub)
        if writer is not None:
            writer.note()  # a burst of scans is still arriving: the first scans in it stay one batch
        return decided
    if isinstance(decided, _Miss):
        return await asyncio.to_thread(check_access, hub, check)
    future, appointment_id = decided
    assert isinstance(future, asyncio.Future)
    return _logged(check, _first_scan_answer(await future, appointment_id))


def _logged(check: AccessCheck, answer: AccessAnswer) -> AccessAnswer:
    _log_check(check.gate_id, answer.appointment_id, answer.decision, answer.reason)
    return answer


def visit_delivery(hub: Hub, appointment_id: str, gate_id: str, allowed_at: datetime) -> store.VisitDelivery:
    """The inbox row of the visit's internal event, as the intake would store it (dedupe key per appointment,
    due on the hub's clock), and the flows that consume it."""
    payload = visit_payload(appointment_id, gate_id, allowed_at)
    flows = _visit_flows(hub)
    if flows is None:  # a consuming flow decides per event: ask it about this one
        flows = tuple(f.name for f in hub.registry.for_event(CloudEvent.model_validate(payload), hub))
    now = hub.now()
    inbox = {"dedupe_key": hashed_key(dedupe_key(appointment_id)), "source": SOURCE, "event_id": payload["id"],
             "type": EVENT_TYPE, "subject": appointment_id, "version": None, "payload": payload,
             "caller": f"gate:{gate_id}", "received_at": now, "processed_at": None if flows else now,
             "purged_at": None}
    return store.VisitDelivery(inbox, flows, now)


def _visit_flows(hub: Hub) -> tuple[str, ...] | None:
    """The flows every visit event goes to, or None when one of them decides per event (its `wants`)."""
    if hub not in _VISIT_FLOWS:
        consumers = [f for f in hub.registry.flows.values() if f.accepts(EVENT_TYPE)]
        _VISIT_FLOWS[hub] = None if any(f.wants is not None for f in consumers) else tuple(f.name for f in consumers)
    return _VISIT_FLOWS[hub]


_VISIT_FLOWS: weakref.WeakKeyDictionary[Hub, tuple[str, ...] | None] = weakref.WeakKeyDictionary()


def qr_code_for(hub: Hub, appointment_id: str) -> QrCode:
    """The stored booking's code; before its event is processed, the code the hub signs (the same value)."""
    key = hub.settings.waste_depot.signing_key.get_secret_value()
    signed = signed_code(key, appointment_id)
    code = store.booking_code(hub.db, appointment_id) or signed
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
