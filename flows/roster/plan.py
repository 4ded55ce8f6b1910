"""What to change in the register: desired blocks vs what was pushed last time, compared by content hash."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from hub.links import content_hash
from mappings.rostarcas import RosterBlock


def fingerprint(block: RosterBlock) -> str:
    """Content hash of a block; the same instant in another offset or skills in another order hash the same."""
    body = block.model_dump(mode="json", exclude={"start", "end", "skills"})
    return content_hash({**body, "start": block.start.astimezone(UTC).isoformat(),
                         "end": block.end.astimezone(UTC).isoformat(), "skills": sorted(block.skills)})


class PushedBlock(BaseModel):
    """What the register holds for one shift, as far as the hub knows: the block and its hash."""

    model_config = ConfigDict(frozen=True)

    hash: str
    block: RosterBlock

    @classmethod
    def of(cls, block: RosterBlock) -> PushedBlock:
        return cls(hash=fingerprint(block), block=block)


@dataclass(frozen=True)
class Window:
    """The days the run covers, `first` up to (not including) `end`, in the roster's time zone."""

    first: date
    end: date
    zone: ZoneInfo

    def day_of(self, block: RosterBlock) -> date:
        return block.start.astimezone(self.zone).date()

    def covers(self, block: RosterBlock) -> bool:
        return self.first <= self.day_of(block) < self.end

    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.first, datetime.min.time(), self.zone),
                datetime.combine(self.end, datetime.min.time(), self.zone))


@dataclass
class RosterPlan:
    """Blocks to create, update (old, new) and delete; `forget`: past blocks dropped from the hub's state."""

    create: list[RosterBlock] = field(default_factory=list)
    update: list[tuple[RosterBlock, RosterBlock]] = field(default_factory=list)
    delete: list[RosterBlock] = field(default_factory=list)
    unchanged: int = 0
    forget: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)

    def upserts(self) -> list[RosterBlock]:
        return [*self.create, *(new for _, new in self.update)]

    def counts(self) -> dict[str, int]:
        return {"create": len(self.create), "update": len(self.update), "delete": len(self.delete),
                "unchanged": self.unchanged}

    def by_day_and_location(self, window: Window) -> dict[str, dict[str, int]]:
        """`{"2027-03-29 LOC-KONINGSPLEIN": {"create": 2, "delete": 1}}`, sorted by day and location."""
        table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for action, blocks in (("create", self.create), ("update", [new for _, new in self.update]),
                               ("delete", self.delete)):
            for block in blocks:
                table[f"{window.day_of(block).isoformat()} {block.location_id}"][action] += 1
        return {key: dict(table[key]) for key in sorted(table)}


def make_plan(desired: Mapping[str, RosterBlock], previous: Mapping[str, PushedBlock], window: Window) -> RosterPlan:
    """Diff by block id: new ids are created, changed hashes updated, ids gone from the window deleted.

    Previous blocks before the window are forgotten (history stays in the register); those after it are
    outside this run's export and left alone.
    """
    plan = RosterPlan()
    for block_id in sorted(desired):
        block = desired[block_id]
        old = previous.get(block_id)
        if old is None:
            plan.create.append(block)
        elif old.hash != fingerprint(block):
            plan.update.append((old.block, block))
        else:
            plan.unchanged += 1
    for block_id in sorted(previous.keys() - desired.keys()):
        old_block = previous[block_id].block
        if window.covers(old_block):
            plan.delete.append(old_block)
        elif window.day_of(old_block) < window.first:
            plan.forget.append(block_id)
    return plan


__all__ = ["PushedBlock", "RosterPlan", "Window", "fingerprint", "make_plan"]
