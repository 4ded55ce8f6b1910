"""The contact-moments handler: derive the moments of a snapshot and hand them to each enabled sink."""

from __future__ import annotations

from functools import lru_cache

import structlog

from flows.contact_moments.identity import IdentityResolver
from flows.contact_moments.klantinteracties_partij import PartijResolver
from flows.contact_moments.klantinteracties_sink import KlantinteractiesSink
from flows.contact_moments.salesforce_sink import SalesforceSink
from hub.config import KlantinteractiesSettings, SalesforceSettings
from hub.context import FlowContext, InboundEvent
from hub.model import APPOINTMENT_EVENT_PREFIX
from hub.registry import REGISTRY
from mappings.klantinteracties import AppointmentIdentity
from mappings.salesforce import SalesforceMapping, load_mapping, moments_for

log = structlog.get_logger("afsprakenhub.flows.contact_moments")

FLOW = "contact_moments"
PURPOSE = "record appointments and visits as contact moments in the contact-moment register (klantbeeld)"



@lru_cache(maxsize=8)
def mapping_for(path: str | None) -> SalesforceMapping:
    """The mapping table at `path` (default: the packaged one), read once per process."""
    return load_mapping(path)


@REGISTRY.flow(FLOW, consumes=(APPOINTMENT_EVENT_PREFIX + "*",), purpose=PURPOSE, ordered=False)
def handle(event: InboundEvent, ctx: FlowContext) -> str | None:
    ae = event.appointment_event
    if ae is None:
        return "not an appointment event"
    settings = ctx.hub.settings
    sf: SalesforceSettings = getattr(settings, "salesforce", None) or SalesforceSettings()
    ki: KlantinteractiesSettings = getattr(settings, "klantinteracties", None) or KlantinteractiesSettings()
    mapping = mapping_for(sf.mapping_file)
    appointment = ae.data
    moments = moments_for(appointment, ae.appointment_kind, migrated_booked=mapping.migrated.booked)
    refs: dict[str, object] = {"appointmentId": appointment.id, "version": appointment.version,
                               "kinds": [m.kind.value for m in moments]}
    notes: list[str] = []
    identity = IdentityResolver(ctx, appointment.id, appointment.customer)
    if sf.enabled and moments:
        outcome = SalesforceSink(ctx.peers.salesforce, mapping, ctx, identity).apply(appointment, moments)
        if outcome is None:
            notes.append("salesforce: unchanged")
        else:
            refs.update(salesforce={"written": outcome.written, "recordIds": outcome.record_ids,
                                    "account": outcome.account, "roundTrips": outcome.round_trips,
                                    "trust": outcome.trust, "review": outcome.review,
                                    "linkedLater": outcome.linked_later})
            notes.append(f"salesforce: {', '.join(outcome.written)} ({outcome.account})")
            log.info("contact_moments.salesforce", appointment_id=appointment.id, written=outcome.written,
                     account=outcome.account, round_trips=outcome.round_trips, trust=outcome.trust,
                     review=outcome.review, linked_later=outcome.linked_later)
    if ki.enabled and moments:
        onderwerp = AppointmentIdentity(code_objecttype=ki.code_objecttype, code_register=ki.code_register,
                                        code_soort_object_id=ki.code_soort_object_id)
        client = ctx.peers.klantinteracties
        sink = KlantinteractiesSink(client, onderwerp, ctx, window_seconds=ki.unanswered_write_window_seconds,
                                    retry_seconds=2 * ki.timeout_seconds,
                                    partijen=PartijResolver(client, ctx, identity))
        written = sink.apply(appointment, moments)
        refs["klantinteracties"] = {"written": written}
        notes.append(f"klantinteracties: {', '.join(written) or 'unchanged'}")
    if identity.brp is not None:
        refs["brp"] = identity.brp
    ctx.audit("record-contact-moments", outcome="succeeded", references=refs)
    return "; ".join(notes) or "no contact moments"
