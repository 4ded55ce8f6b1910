"""Appointment events → Outlook: the event in the employee's calendar and in the room's calendar.

booked → create; rescheduled → update; employee or room changed → remove from the old calendar and
create in the new; cancelled / no-show → delete (or mark cancelled); completed → leave. Unchanged
content makes no call; a create carries a stable transactionId so a retried create makes one event.
"""

from __future__ import annotations

from flows.calendars.placement import Placement, Step, link_peer, plan
from hub.config import OutlookSettings
from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError, TransientError
from hub.model import APPOINTMENT_EVENT_PREFIX, Appointment
from hub.ports.calendar import CreateEvent, DeleteEvent, OpResult, UpdateEvent
from hub.ports.errors import NotFoundError
from hub.registry import REGISTRY
from mappings.outlook import KINDS, LEAVE, CalendarOptions, Kind

FLOW = "calendars"
PURPOSE = "keep employee and room Outlook calendars in line with their appointments"
MAX_ROUNDS = 3



def options_of(settings: OutlookSettings) -> CalendarOptions:
    return CalendarOptions(time_zone=settings.time_zone, employee_categories=tuple(settings.employee_categories),
                           room_categories=tuple(settings.room_categories),
                           mark_cancelled=settings.cancel_mode == "mark")


def _after(current: Placement, step: Step, result: OpResult, appointment: Appointment) -> Placement:
    """The placement once `step` succeeded."""
    op = step.op
    if isinstance(op, DeleteEvent):
        return Placement(generation=current.generation + 1, state="removed")
    assert result.event is not None
    times = {"start": appointment.start.isoformat(), "end": appointment.end.isoformat()}
    if isinstance(op, CreateEvent):
        return Placement(mailbox=op.mailbox, event_id=result.event.id, generation=current.generation,
                         state="placed", content_hash=step.content_hash, **times)
    return current.model_copy(update={"content_hash": step.content_hash,
                                      "state": "marked" if step.marked else "placed", **times})


def sync_appointment(appointment: Appointment, ctx: FlowContext) -> dict[str, int]:
    """Apply one snapshot to both calendars; counts of created/updated/deleted events."""
    settings: OutlookSettings = ctx.hub.settings.outlook
    options = options_of(settings)
    future = appointment.end > ctx.now()
    counts = {"created": 0, "updated": 0, "deleted": 0}
    placements: dict[Kind, Placement] = {k: Placement.of(ctx.links.get(appointment.id, link_peer(k))) for k in KINDS}
    for _ in range(MAX_ROUNDS):
        steps = [s for k in KINDS for s in plan(appointment, k, placements[k], options, future=future)]
        if not steps:
            return counts
        results = ctx.peers.outlook.execute([s.op for s in steps])
        failures: list[OpResult] = []
        vanished = False
        for step, result in zip(steps, results, strict=True):
            current = placements[step.kind]
            if result.error is None:
                placements[step.kind] = new = _after(current, step, result, appointment)
                op = step.op
                counts["created" if isinstance(op, CreateEvent) else
                       "updated" if isinstance(op, UpdateEvent) else "deleted"] += 1
            elif isinstance(step.op, UpdateEvent) and isinstance(result.error, NotFoundError):
                # Someone removed the event in Outlook: forget it; the next round creates it again.
                placements[step.kind] = new = Placement(generation=current.generation + 1, state="removed")
                vanished = True
            else:
                failures.append(result)
                continue
            ctx.links.put(appointment.id, link_peer(step.kind), remote_id=new.event_id or "",
                          version=appointment.version, hash_=new.content_hash or "", data=new.model_dump())
        if failures:
            _raise(failures, appointment, counts, ctx)
        if not vanished:
            return counts
    return counts


def _raise(failures: list[OpResult], appointment: Appointment, counts: dict[str, int], ctx: FlowContext) -> None:
    errors = [f.error for f in failures if f.error is not None]
    ctx.audit("calendar-sync", outcome="failed", references={"appointmentId": appointment.id,
                                                            "version": appointment.version, **counts})
    permanent = [e for e in errors if isinstance(e, PermanentError)]
    if permanent:
        raise PermanentError(permanent[0].reason)
    transient = [e for e in errors if isinstance(e, TransientError)]
    waits = [e.retry_after for e in transient if e.retry_after is not None]
    raise TransientError(transient[0].reason if transient else "outlook failed", max(waits) if waits else None)


#: Kinds that place, move or remove calendar events (a reassign arrives as `rescheduled`); check-in, call,
#: start and completion leave the calendars as they are.
CONSUMES = tuple(f"{APPOINTMENT_EVENT_PREFIX}{kind}" for kind in ("booked", "rescheduled", "cancelled", "no_show"))


@REGISTRY.flow(FLOW, consumes=CONSUMES, purpose=PURPOSE, ordered=True)
def handle(event: InboundEvent, ctx: FlowContext) -> str | None:
    """Flow handler: one appointment snapshot → its employee and room calendars."""
    ae = event.appointment_event
    if ae is None:
        return "not an appointment event"
    appointment = ae.data
    if appointment.status in LEAVE:
        return f"{appointment.status.value}: calendars left as they are"
    counts = sync_appointment(appointment, ctx)
    if any(counts.values()):
        ctx.audit("calendar-sync", outcome="ok", references={"appointmentId": appointment.id,
                                                            "version": appointment.version, **counts})
        return ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    return "calendars unchanged"


__all__ = ["FLOW", "PURPOSE", "handle", "options_of", "sync_appointment"]
