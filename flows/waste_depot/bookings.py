"""Flow `waste_depot_bookings`: keep waste-depot appointments in the hub's store for the gate.

Only events AT a configured waste-depot location get a delivery of this flow (`concerns_depot`, asked at
intake from the event alone: no store read per appointment event). An appointment moved away from the depot
keeps its stored row; the gate's admission reads the newest snapshot the hub received for it
(`store.admit`), so it is denied `wrong-location` however far its events got. A stale version never overwrites
a newer one; the gate answers from the hub's own store, without the register.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.waste_depot.codes import pass_key, pass_number_of, qr_code_of
from hub.context import FlowContext, InboundEvent
from hub.model import APPOINTMENT_EVENT_PREFIX, Appointment, AppointmentEvent, CloudEvent
from hub.registry import REGISTRY
from hub.store.waste_depot_tables import WasteDepotBooking

if TYPE_CHECKING:
    from datetime import datetime

    from hub.bootstrap import Hub
    from hub.waste_depot_settings import GateSettings

FLOW = "waste_depot_bookings"
PURPOSE = "keep today's and tomorrow's waste-depot bookings for the gate's access check"


def booking_row(appointment: Appointment, settings: GateSettings, source: str,
                now: datetime) -> WasteDepotBooking:
    """The gate's row of one snapshot: no name, no BSN, the pass only by its key."""
    key = settings.signing_key.get_secret_value()
    number = pass_number_of(appointment)
    return WasteDepotBooking(
        appointment_id=appointment.id, version=appointment.version, status=appointment.status.value,
        start=appointment.start, end=appointment.end, location_id=appointment.location.id,
        qr_code=qr_code_of(appointment, key), pass_key=pass_key(key, number) if number else None,
        source=source, updated_at=now)


def concerns_depot(event: CloudEvent, hub: Hub) -> bool:
    """An appointment event at a waste-depot location (decided from the event alone)."""
    return isinstance(event, AppointmentEvent) and event.data.location.id in hub.settings.waste_depot.locations


@REGISTRY.flow(FLOW, consumes=(APPOINTMENT_EVENT_PREFIX + "*",), purpose=PURPOSE, ordered=False,
               wants=concerns_depot)
def handle(event: InboundEvent, ctx: FlowContext) -> str | None:
    from hub.store.waste_depot import upsert_booking

    ae = event.appointment_event
    if ae is None:
        return "not an appointment event"
    settings = ctx.hub.settings.waste_depot
    if ae.data.location.id not in settings.locations:  # e.g. a replay after the locations changed
        return "not a waste-depot location"
    written = upsert_booking(ctx.hub.db, booking_row(ae.data, settings, "event", ctx.now()))
    return "stored" if written else "older than the stored version"
