"""Drift between the register and the employee and room Outlook calendars (the `calendars` flow's placements).

missing: an appointment that belongs in a calendar has no event there (a lost event, someone deleted it);
shifted: its event is at another time (DST shifts flagged); orphaned: a hub-placed event with no live appointment
(cancelled, moved to someone else, or unknown to the register). Only events the hub placed are looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from flows.calendars.placement import Placement
from flows.drift.report import Finding, shift_of
from hub.model import Appointment
from hub.ports.calendar import Event
from mappings.outlook import ENDED, KINDS, LEAVE, Kind, mailbox_for

#: How the calendar link is adjusted before the snapshot is sent again: forget the event (the flow creates a
#: new one), forget its content hash (the flow updates it), or leave it (the flow deletes or moves it).
LinkEdit = Literal["forget", "rehash", "keep"]


@dataclass
class OutlookPlan:
    """The findings and how `--repair` fixes them through the calendars flow (and the drift_repair flow)."""

    findings: list[Finding] = field(default_factory=list)
    resend: dict[str, dict[Kind, LinkEdit]] = field(default_factory=dict)
    #: Appointments outside the window whose snapshot must be sent too (their event drifted into the window).
    extra: dict[str, Appointment] = field(default_factory=dict)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    #: Calendars that could not be read (and so were not compared).
    unreadable: int = 0

    def edit(self, appointment_id: str, kind: Kind, how: LinkEdit) -> None:
        kinds = self.resend.setdefault(appointment_id, {})
        if kinds.get(kind) in (None, "keep"):
            kinds[kind] = how


def belongs(appointment: Appointment, kind: Kind, mark_cancelled: bool) -> str | None:
    """The mailbox the appointment's event belongs in now, or None when it belongs in no calendar."""
    mailbox = mailbox_for(appointment, kind)
    if mailbox is None or appointment.status in LEAVE:
        return None
    if appointment.status in ENDED and not mark_cancelled:
        return None
    return mailbox


def compare(appointments: Iterable[Appointment], placements: dict[tuple[str, Kind], Placement],
            events: dict[str, list[Event]], *, find_event: Callable[[str, str], Event | None],
            owner_of: Callable[[str], tuple[str, Kind, Placement] | None],
            register_get: Callable[[str], Appointment | None],
            time_zone: str, now: datetime, mark_cancelled: bool = False,
            unreadable: frozenset[str] = frozenset()) -> OutlookPlan:
    """Compare the register's appointments with the calendars' hub-placed events (calendars in `unreadable`
    could not be read: nothing in them is judged)."""
    plan = OutlookPlan()
    seen: dict[tuple[str, str], Event] = {(m, e.id): e for m, found in events.items() for e in found}
    claimed: set[str] = set()

    def check(a: Appointment, kind: Kind, current: Placement) -> None:
        wanted = belongs(a, kind, mark_cancelled)
        if wanted in unreadable or current.mailbox in unreadable:
            return
        event = None
        if current.placed:
            assert current.mailbox is not None and current.event_id is not None
            claimed.add(current.event_id)
            event = seen.get((current.mailbox, current.event_id)) or find_event(current.mailbox, current.event_id)
        if wanted is None:
            if event is not None and a.status not in LEAVE:
                plan.findings.append(Finding(peer="outlook", kind="orphaned", appointment_id=a.id, target=kind,
                                             remote_id=event.id, detail=f"event remains while the appointment is "
                                                                        f"{a.status.value}"))
                plan.edit(a.id, kind, "keep")
            return
        if event is None or current.mailbox != wanted:
            if event is not None:  # moved to another employee/room: the old one is an orphan, the flow moves it
                plan.findings.append(Finding(peer="outlook", kind="orphaned", appointment_id=a.id, target=kind,
                                             remote_id=event.id, detail="event remains in the previous calendar"))
            plan.findings.append(Finding(peer="outlook", kind="missing", appointment_id=a.id, target=kind,
                                         expected_start=a.start, detail=f"no event in the {kind} calendar"))
            plan.edit(a.id, kind, "forget" if event is None else "keep")
            return
        actual = event.start.aware() if event.start is not None else None
        actual_end = event.end.aware() if event.end is not None else None
        if actual is None or actual != a.start or actual_end != a.end:
            delta, dst = shift_of(a.start, actual, time_zone, now) if actual is not None else (0, False)
            plan.findings.append(Finding(
                peer="outlook", kind="shifted", appointment_id=a.id, target=kind, remote_id=event.id,
                expected_start=a.start, actual_start=actual, delta_minutes=delta, dst=dst,
                detail=("daylight-saving shift: " if dst else "") + f"event {delta:+d} min from the register"))
            plan.edit(a.id, kind, "rehash")

    listed = list(appointments)
    for a in listed:
        for kind in KINDS:
            check(a, kind, placements.get((a.id, kind), Placement()))
    for (mailbox, event_id), event in sorted(seen.items()):
        if event_id in claimed or not event.placed_by_hub:
            continue
        owner = owner_of(event_id)
        other = register_get(owner[0]) if owner is not None else None
        if owner is not None and other is not None:  # its appointment is outside the window (moved, ended)
            _, kind, placement = owner
            plan.extra[other.id] = other
            check(other, kind, placement)
            continue
        plan.findings.append(Finding(peer="outlook", kind="orphaned", appointment_id=owner[0] if owner else None,
                                     target="employee/room", remote_id=event_id, fix="delete",
                                     detail="hub-placed event of no appointment in the register"))
        plan.deletes.append((mailbox, event_id))
    return plan


__all__ = ["LinkEdit", "OutlookPlan", "belongs", "compare"]
