"""Flow `waste_depot_visit`: an allowed gate scan → `checked_in` in the register and a contact moment.

The gate check stores one internal event per appointment (dedupe key `waste-depot-visit:<id>`), so however
often a gate retries, this flow runs for one visit once; its delivery is retried while the register or
Salesforce is down, like any other. The contact moment is the `visit` moment keyed `<appointmentId>:visit`,
the same key the register's own `checked_in` event gives, so it is written once whichever comes first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter

from flows.contact_moments import FLOW as CONTACT_MOMENTS
from flows.contact_moments import handle as record_contact_moments
from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError
from hub.model import APPOINTMENT_EVENT_PREFIX, Appointment, AppointmentEvent, AppointmentStatus, CloudEvent
from hub.ports.register import Capability, ConflictError
from hub.registry import REGISTRY

FLOW = "waste_depot_visit"
EVENT_TYPE = "nl.tilburg.afspraken.waste-depot.visit"
SOURCE = "afsprakenhub/waste-depot"
PURPOSE = "record an admitted waste-depot visit as checked in and as a contact moment"
#: Check in, and re-read the appointment when the register answers a conflict.
NEEDS = frozenset({Capability.CHECK_IN, Capability.READ_APPOINTMENT})
#: The register answers a check-in from these with a conflict; the visit is then already recorded there.
_ALREADY_PAST = frozenset({AppointmentStatus.CHECKED_IN, AppointmentStatus.CALLED, AppointmentStatus.STARTED,
                           AppointmentStatus.COMPLETED})


class VisitData(BaseModel):
    """The internal event's data: references only."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    appointment_id: str
    gate_id: str
    allowed_at: datetime


def visit_event(data: VisitData) -> CloudEvent:
    return CloudEvent(specversion="1.0", id=f"visit:{data.appointment_id}", source=SOURCE, type=EVENT_TYPE,
                      subject=data.appointment_id, time=data.allowed_at, datacontenttype="application/json",
                      data=data.model_dump(mode="json"))


_TIME = TypeAdapter(AwareDatetime)
#: Longest appointment id the plain payload is built for; longer ones go through the model and its bounds.
_PLAIN_ID = 400


def visit_payload(appointment_id: str, gate_id: str, allowed_at: datetime) -> dict[str, Any]:
    """`visit_event(...).model_dump(mode="json")`, built without the model for ids the model would take as
    they are (a first scan's hot path; the model decides anything unusual, and refuses what it refuses)."""
    if len(appointment_id) > _PLAIN_ID or "\x00" in appointment_id or "\x00" in gate_id or not appointment_id \
            or allowed_at.tzinfo is None:
        return visit_event(VisitData(appointment_id=appointment_id, gate_id=gate_id,
                                     allowed_at=allowed_at)).model_dump(mode="json")
    at = _TIME.dump_python(allowed_at, mode="json")
    return {"specversion": "1.0", "id": f"visit:{appointment_id}", "source": SOURCE, "type": EVENT_TYPE,
            "subject": appointment_id, "time": at, "datacontenttype": "application/json", "dataschema": None,
            "data": {"appointment_id": appointment_id, "gate_id": gate_id, "allowed_at": at}}


def dedupe_key(appointment_id: str) -> str:
    return f"waste-depot-visit:{appointment_id}"


def _checked_in(ctx: FlowContext, appointment_id: str) -> Appointment:
    register = ctx.peers.register
    try:
        return register.check_in_appointment(appointment_id, notify_customer=False)
    except ConflictError:
        current = register.get_appointment(appointment_id)
        if current.status in _ALREADY_PAST:
            return current
        raise PermanentError(f"the register refuses a check-in from status {current.status.value}") from None


#: It writes the appointment's contact moments as `contact_moments` does, and those links take one writer at a time:
#: so its deliveries share that flow's order lock with the register's own `checked_in` event's.
@REGISTRY.flow(FLOW, consumes=(EVENT_TYPE,), purpose=PURPOSE, ordered=False, needs=NEEDS,
               order_with=CONTACT_MOMENTS)
def handle(event: InboundEvent, ctx: FlowContext) -> str | None:
    data = VisitData.model_validate(event.event.data)
    appointment = _checked_in(ctx, data.appointment_id)
    snapshot = AppointmentEvent(specversion="1.0", id=f"visit:{appointment.id}:v{appointment.version}",
                                source=SOURCE, type=APPOINTMENT_EVENT_PREFIX + "checked_in", subject=appointment.id,
                                data=appointment)
    note = record_contact_moments(InboundEvent(event.inbox_id, event.delivery_id, event.attempt, event.caller,
                                               snapshot), ctx)
    ctx.audit("waste-depot-visit", outcome="succeeded",
              references={"appointmentId": appointment.id, "gateId": data.gate_id, "status": appointment.status})
    return f"checked in; {note}"
