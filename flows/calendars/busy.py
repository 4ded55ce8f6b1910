"""Outlook busy time → register unavailability blocks (pure): which events count, block ids, the diff."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from hub.ports.calendar import Event
from hub.ports.register import UnavailabilityBlock

#: `source` of every block this sync owns in the register; blocks from other sources are never touched.
BLOCK_SOURCE = "outlook"
BLOCK_REASON = "outlook-busy"


def block_id(employee_id: str, event_id: str) -> str:
    """Stable per employee and Outlook event (occurrence), so a moved event updates its block."""
    digest = hashlib.sha256(f"{employee_id}\x1f{event_id}".encode()).hexdigest()
    return f"outlook-{digest[:40]}"


def counts_as_busy(event: Event, busy_statuses: Collection[str], hub_event_ids: Collection[str]) -> bool:
    """Busy, not cancelled, and not placed by the hub (the hub's own events never come back as blocks)."""
    if event.placed_by_hub or event.id in hub_event_ids:
        return False
    if event.is_cancelled or event.start is None or event.end is None:
        return False
    return (event.show_as or "busy") in busy_statuses


def desired_blocks(events_by_employee: Mapping[str, Iterable[Event]], busy_statuses: Collection[str],
                   hub_event_ids: Collection[str]) -> dict[str, UnavailabilityBlock]:
    """The blocks the register should hold, by block id."""
    blocks: dict[str, UnavailabilityBlock] = {}
    for employee_id, events in events_by_employee.items():
        for event in events:
            if not counts_as_busy(event, busy_statuses, hub_event_ids):
                continue
            assert event.start is not None and event.end is not None
            start, end = event.start.aware(), event.end.aware()
            if end <= start:
                continue
            bid = block_id(employee_id, event.id)
            blocks[bid] = UnavailabilityBlock(id=bid, employee_id=employee_id, start=start, end=end,
                                              reason=BLOCK_REASON, source=BLOCK_SOURCE)
    return blocks


def _same(a: UnavailabilityBlock, b: UnavailabilityBlock) -> bool:
    return (a.employee_id, a.start, a.end, a.reason) == (b.employee_id, b.start, b.end, b.reason)


@dataclass(frozen=True)
class BlockDiff:
    """New blocks to create, moved blocks to update, vanished block ids to delete."""

    create: list[UnavailabilityBlock] = field(default_factory=list)
    update: list[UnavailabilityBlock] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)

    def counts(self) -> dict[str, int]:
        return {"created": len(self.create), "updated": len(self.update), "deleted": len(self.delete),
                "unchanged": self.unchanged}


def diff(desired: Mapping[str, UnavailabilityBlock], present: Iterable[UnavailabilityBlock],
         employees: Collection[str]) -> BlockDiff:
    """Compare with the register's blocks; only blocks of this source and these employees are changed."""
    mine = {b.id: b for b in present if b.source == BLOCK_SOURCE and b.employee_id in employees}
    create = [b for bid, b in sorted(desired.items()) if bid not in mine]
    update = [b for bid, b in sorted(desired.items()) if bid in mine and not _same(b, mine[bid])]
    delete = sorted(bid for bid in mine if bid not in desired)
    unchanged = sum(1 for bid, b in desired.items() if bid in mine and _same(b, mine[bid]))
    return BlockDiff(create, update, delete, unchanged)


__all__ = ["BLOCK_REASON", "BLOCK_SOURCE", "BlockDiff", "block_id", "counts_as_busy", "desired_blocks", "diff"]
