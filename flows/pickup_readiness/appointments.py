"""Appointment events for pick-up products: flag a pick-up booked for a document not ready by then."""

from __future__ import annotations

import structlog

from flows.pickup_readiness.config import APPOINTMENT_PEER, FLOW, PURPOSE, config_of, peers
from flows.pickup_readiness.state import PickupCheck, pickup_check, save_pickup_check
from hub.context import FlowContext, InboundEvent
from hub.links import content_hash
from hub.model import APPOINTMENT_EVENT_PREFIX
from hub.registry import REGISTRY
from mappings.key2burgerzaken import (
    PENDING_STATUSES,
    Document,
    interpret,
    pickup_products_of,
    readiness_problem,
    reschedule_event,
)

log = structlog.get_logger("afsprakenhub.flows.pickup_readiness")


#: A pick-up is checked when it is booked or moved; later kinds need no check.
CONSUMES = (f"{APPOINTMENT_EVENT_PREFIX}booked", f"{APPOINTMENT_EVENT_PREFIX}rescheduled")


@REGISTRY.flow(FLOW, consumes=CONSUMES, purpose=PURPOSE, ordered=True)
def check_pickup(event: InboundEvent, ctx: FlowContext) -> str | None:
    """A booked or moved pick-up appointment: is a matching document ready by its start? If not, ask
    the customer (through TIP) to reschedule, once per appointment, and leave an audit record."""
    ae = event.appointment_event
    if ae is None:
        return "not an appointment event"
    appointment = ae.data
    config = config_of(ctx.hub)
    products = pickup_products_of(appointment, config)
    if not products:
        return None
    if appointment.status not in PENDING_STATUSES:
        return f"pick-up {appointment.status.value}: nothing to check"
    bsn = appointment.customer.bsn if appointment.customer else None
    if not bsn:
        ctx.audit("check-pickup-readiness", outcome="skipped",
                  references={"appointmentId": appointment.id, "reason": "no BSN to match documents"})
        return "no BSN: cannot match a document"
    previous, stored = pickup_check(ctx.hub, appointment.id)
    digest = content_hash({"start": appointment.start, "products": products, "customer": content_hash(bsn)})
    if previous is not None and (previous.flagged or stored == digest):
        return "already flagged" if previous.flagged else "unchanged"
    k2b, tip, _ = peers(ctx.hub)
    raw_types = sorted({c for p in products for c in config.raw_types_for_product(p)})
    docs = [d for d in (interpret(r, config) for r in k2b.for_customer(bsn, raw_types)) if isinstance(d, Document)]
    problem = readiness_problem(docs, appointment.start)
    if problem is None:
        save_pickup_check(ctx.hub, appointment.id, PickupCheck(checked_start=appointment.start), digest)
        return "document ready"
    tip.publish(reschedule_event(appointment, products, problem, docs, tip.source, ctx.now()))
    ctx.audit("flag-pickup-not-ready", outcome="flagged",
              references={"appointmentId": appointment.id, "reason": problem,
                          "applicationNumbers": [d.application_number for d in docs]})
    log.info("pickup.flagged", appointment_id=appointment.id, reason=problem,
             documents=[d.document_number_masked for d in docs])
    save_pickup_check(ctx.hub, appointment.id,
                      PickupCheck(flagged=True, reason=problem, checked_start=appointment.start), digest)
    return f"flagged: {problem}"


__all__ = ["APPOINTMENT_PEER", "check_pickup"]
