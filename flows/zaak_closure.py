"""Zaak closure (BRIEF §3.4): when a zaak is closed, close the appointments that belong to it.

Input: a ZGW notification of kanaal `zaken` — `status` create or `zaak` update/partial_update — as a
classic Notificaties API message (`POST /api/v1/notificaties`) or a CloudEvent (`POST /api/v1/events`).
The flow fetches the zaak (only from the configured Zaken APIs), decides from its current state
whether it is closed, and closes each linked, still open appointment in the register with the reason
"zaak afgesloten" and no customer notification. The current state decides, so duplicates and
notifications in any order lead to the same result.
"""

from __future__ import annotations

import hashlib

from connectors.zgw import REFUSED, RefusedUrlError, Zaak, ZakenClient
from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError
from hub.model import Appointment
from hub.ports.register import AppointmentRegister, Capability, ConflictError
from hub.registry import REGISTRY
from mappings.zgw import (
    CLOSE_REASON,
    HasRoute,
    ZaakNotification,
    case_reference,
    needs_closing,
    notification_from_event,
    routes,
)

FLOW = "zaak_closure"
PEER = "zgw"
#: Routed at intake: the classic types and CloudEvent spellings (`…created`, `…updated`, `…partial…`).
CONSUMES = ("nl.overheid.zaken.status.create*", "nl.overheid.zaken.zaak.update*", "nl.overheid.zaken.zaak.partial*")
#: What the flow asks of the register: the case's appointments, close them, re-read one after a conflict.
NEEDS = frozenset({Capability.FIND_BY_CASE_REFERENCE, Capability.CLOSE, Capability.READ_APPOINTMENT})


def routes_to_zaak_closure(notificatie: HasRoute) -> bool:
    """Whether a notification goes to this flow: kanaal `zaken`, `status` create or `zaak` (partial_)update."""
    return routes(notificatie.kanaal, notificatie.resource, notificatie.actie)


def zaak_key(zaak_url: str) -> str:
    """Link-table key under which the flow remembers that it closed a zaak's appointments."""
    return "zaak:" + hashlib.sha256(zaak_url.encode()).hexdigest()[:40]


def _refuse(ctx: FlowContext, note: ZaakNotification) -> PermanentError:
    ctx.audit("refuse-url", outcome="refused", references={"resource": note.resource, "actie": note.actie})
    return PermanentError(REFUSED)


def _is_closed(zgw: ZakenClient, zaak: Zaak, note: ZaakNotification) -> tuple[bool, str]:
    """Closed when `einddatum` is set, or when the new status is the zaak's current one and final."""
    if zaak.closed:
        return True, "einddatum"
    if note.resource == "status" and zaak.status and zaak.status == note.resource_url:
        status = zgw.get_status(note.resource_url)
        if zgw.get_statustype(status.statustype).is_eindstatus:
            return True, "eindstatus"
    return False, "open"


def _close(ctx: FlowContext, register: AppointmentRegister, appointment: Appointment, zaak: Zaak) -> bool:
    """Close one appointment unless it is finished; True when the register was asked to close it."""
    if not needs_closing(appointment.status):
        return False
    try:
        register.close_appointment(appointment.id, reason=CLOSE_REASON, notify_customer=False)
    except ConflictError:
        if not needs_closing(register.get_appointment(appointment.id).status):
            return False  # finished in the meantime
        raise
    ctx.links.put(appointment.id, PEER, remote_id=zaak.url[:500], data={"closedBecause": CLOSE_REASON})
    ctx.audit("close-appointment", outcome="closed", references={"appointmentId": appointment.id, "zaak": zaak.url})
    return True


def handle(event: InboundEvent, ctx: FlowContext) -> str | None:
    note = notification_from_event(event.event)
    if note is None or not routes_to_zaak_closure(note):
        ctx.audit("ignore-notification", outcome="ignored", references={"type": event.event.type})
        return "ignored: not a zaak closure notification"
    zgw: ZakenClient = ctx.peers.zgw
    if not (zgw.is_zaken_url(note.hoofd_object) and zgw.is_zaken_url(note.resource_url)):
        raise _refuse(ctx, note)
    try:
        zaak = zgw.get_zaak(note.hoofd_object)
        closed, why = _is_closed(zgw, zaak, note)
    except RefusedUrlError as exc:
        ctx.audit("refuse-url", outcome="refused", references={"resource": note.resource, "reason": exc.reason})
        raise
    refs = {"zaak": zaak.url, "resource": note.resource, "actie": note.actie}
    if not closed:
        reopened = (ctx.links.get(zaak_key(zaak.url), PEER) or None) is not None
        ctx.audit("zaak-reopened" if reopened else "zaak-open", outcome="ignored", references=refs)
        return "zaak reopened: nothing changed" if reopened else "zaak open: nothing to do"
    reference = case_reference(zaak.url, zaak.identificatie, ctx.hub.settings.zgw.case_reference_match)
    if not reference:
        ctx.audit("zaak-closed", outcome="no-reference", references=refs)
        return "zaak closed but has no identificatie to match"
    register = ctx.peers.register
    linked = register.find_by_case_reference(reference)
    closed_ids = [a.id for a in linked if _close(ctx, register, a, zaak)]
    ctx.links.put(zaak_key(zaak.url), PEER, remote_id=zaak.url[:500],
                  data={"closedBy": why, "einddatum": zaak.einddatum.isoformat() if zaak.einddatum else None})
    ctx.audit("zaak-closed", outcome="applied",
              references={**refs, "closedBy": why, "linked": len(linked), "closedAppointments": closed_ids})
    return f"zaak closed ({why}): {len(closed_ids)} of {len(linked)} linked appointment(s) closed"


REGISTRY.flow(FLOW, consumes=CONSUMES, ordered=False, needs=NEEDS,
              purpose="close appointments whose zaak was closed (zaakgericht werken)")(handle)
