"""Capacity conflicts: booked appointments a staffing block can no longer serve after a roster change.

A block serves an appointment at its location that starts within the block, at the block's counter (or with
the block's employee), for one of the block's products. `capacity` is how many appointments it serves at the
same time; `booked` is the most that run at the same time. An appointment that an old block served and no
current block serves is `uncovered` (capacity 0). Appointments without counter and employee are left to the
register's own planning and not judged here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from hub.model import Appointment, AppointmentStatus
from mappings.rostarcas import RosterBlock

#: Appointments that still hold a place in a block.
ACTIVE = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED, AppointmentStatus.CHECKED_IN,
                    AppointmentStatus.CALLED, AppointmentStatus.STARTED})


class Conflict(BaseModel):
    """One block where bookings exceed capacity: what a planner needs to act."""

    model_config = ConfigDict(frozen=True)

    date: date
    block_id: str
    kind: Literal["over_capacity", "uncovered"]
    location_id: str
    counter_id: str | None
    resource_id: str
    skills: list[str]
    start: datetime
    end: datetime
    capacity: int
    booked: int
    appointment_ids: list[str]


def serves(block: RosterBlock, appointment: Appointment) -> bool:
    """Whether `block` is the staffing for `appointment` (location, counter or employee, product, time)."""
    if appointment.status not in ACTIVE or appointment.location.id != block.location_id:
        return False
    if not block.start <= appointment.start < block.end:
        return False
    at_counter = block.counter_id is not None and appointment.counter is not None \
        and appointment.counter.id == block.counter_id
    with_employee = appointment.employee is not None and appointment.employee.id == block.resource_id
    if not (at_counter or with_employee):
        return False
    codes = {p.code for p in appointment.products}
    return not block.skills or not codes or bool(codes & set(block.skills))


def peak(appointments: Sequence[Appointment], capacity: int) -> tuple[int, list[str]]:
    """The most appointments running at once, and the ids of those running while over `capacity`."""
    edges = sorted([(a.start, 1, a.id) for a in appointments] + [(a.end, -1, a.id) for a in appointments],
                   key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    running: set[str] = set()
    top = 0
    over: set[str] = set()
    for _, step, appointment_id in edges:
        if step > 0:
            running.add(appointment_id)
            top = max(top, len(running))
            if len(running) > capacity:
                over |= running
        else:
            running.discard(appointment_id)
    return top, sorted(over)


def find_conflicts(changed: Iterable[RosterBlock], previous: Iterable[RosterBlock], current: Sequence[RosterBlock],
                   appointments: Sequence[Appointment], zone: ZoneInfo) -> list[Conflict]:
    """Conflicts of the `changed` (new or updated) blocks, and appointments the `previous` versions of
    updated or deleted blocks served that no `current` block serves."""
    conflicts: list[Conflict] = []
    for block in changed:
        served = [a for a in appointments if serves(block, a)]
        booked, ids = peak(served, block.capacity)
        if booked > block.capacity:
            conflicts.append(_conflict(block, "over_capacity", block.capacity, booked, ids, zone))
    seen: set[str] = set()
    for old in previous:
        lost = [a for a in appointments if a.id not in seen and serves(old, a)
                and not any(serves(b, a) for b in current)]
        if lost:
            seen |= {a.id for a in lost}
            booked, ids = peak(lost, 0)
            conflicts.append(_conflict(old, "uncovered", 0, booked, ids, zone))
    return sorted(conflicts, key=lambda c: (c.start, c.block_id))


def _conflict(block: RosterBlock, kind: Literal["over_capacity", "uncovered"], capacity: int, booked: int,
              ids: list[str], zone: ZoneInfo) -> Conflict:
    return Conflict(date=block.start.astimezone(zone).date(), block_id=block.id, kind=kind,
                    location_id=block.location_id, counter_id=block.counter_id, resource_id=block.resource_id,
                    skills=sorted(block.skills), start=block.start, end=block.end, capacity=capacity,
                    booked=booked, appointment_ids=ids)


def merged_ranges(blocks: Iterable[RosterBlock], bridge: timedelta = timedelta(0)
                  ) -> list[tuple[str, datetime, datetime]]:
    """Per location, the union of the blocks' time ranges, gaps up to `bridge` included: one appointment
    query each (the conflict check keeps only what a block serves, so a wider range costs rows, not calls)."""
    by_location: dict[str, list[tuple[datetime, datetime]]] = {}
    for b in blocks:
        by_location.setdefault(b.location_id, []).append((b.start, b.end))
    out: list[tuple[str, datetime, datetime]] = []
    for location in sorted(by_location):
        spans = sorted(by_location[location])
        lo, hi = spans[0]
        for start, end in spans[1:]:
            if start <= hi + bridge:
                hi = max(hi, end)
            else:
                out.append((location, lo, hi))
                lo, hi = start, end
        out.append((location, lo, hi))
    return out


__all__ = ["ACTIVE", "Conflict", "find_conflicts", "merged_ranges", "peak", "serves"]
