"""The `surveys` flow: a completed visit becomes a survey candidate; a cancelled or no-show one does not."""

from __future__ import annotations

from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError
from hub.model import APPOINTMENT_EVENT_PREFIX, AppointmentStatus
from hub.registry import REGISTRY
from hub.store.surveys import SurveyStore
from mappings.kcm import candidate_from_appointment, load_mapping

PURPOSE = "KCM satisfaction survey: keep minimal data of completed visits to invite the visitor"


#: Only what can make or unmake a candidate; the other kinds would be deliveries that do nothing.
CONSUMES = tuple(f"{APPOINTMENT_EVENT_PREFIX}{kind}" for kind in ("completed", "cancelled", "no_show"))


@REGISTRY.flow("surveys", consumes=CONSUMES, purpose=PURPOSE, ordered=True)
def record_candidate(event: InboundEvent, ctx: FlowContext) -> str | None:
    """Store (or withdraw) the survey candidate of one appointment snapshot; no peer is called."""
    ae = event.appointment_event
    if ae is None:
        return "not an appointment event"
    appointment = ae.data
    store = SurveyStore(ctx.hub.db, ctx.hub.now)
    refs = {"appointmentId": appointment.id, "version": appointment.version}
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        result = store.withdraw(appointment.id, appointment.version)
        if result == "withdrawn":
            ctx.audit("withdraw-candidate", outcome=result, references=refs)
        return f"candidate {result}"
    if appointment.status != AppointmentStatus.COMPLETED:
        return "not a completed visit"
    settings = ctx.hub.settings.kcm
    secret = settings.respondent_key_secret.get_secret_value()
    if not secret:
        raise PermanentError("kcm: respondent key secret is not configured (AFSPRAKENHUB_KCM__RESPONDENT_KEY_SECRET)")
    candidate = candidate_from_appointment(appointment, load_mapping(settings.rules_path), secret)
    if candidate is None:
        return "anonymous visit: no candidate"
    result = store.save_candidate(candidate)
    if result == "stored":
        ctx.audit("record-candidate", outcome=result, references=refs)
    return f"candidate {result}"
