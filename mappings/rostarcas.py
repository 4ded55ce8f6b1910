"""RostarCAS roster → register staffing blocks: pure translation driven by mappings/rostarcas.yaml.

Roster times are wall-clock times; each date gets its own UTC offset, so a shift across the clock change
keeps its wall-clock times (09:00-17:00 stays 09:00-17:00 on both sides of the last Sunday of March/October).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_MAPPING_PATH = Path(__file__).with_name("rostarcas.yaml")
BLOCK_PREFIX = "rostarcas-"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class Activity(BaseModel):
    model_config = ConfigDict(frozen=True)

    bookable: bool
    groups: list[str] = Field(default_factory=list)
    capacity: int = Field(default=1, ge=0)
    description: str | None = None


class RostarcasMapping(BaseModel):
    """The tables of mappings/rostarcas.yaml."""

    model_config = ConfigDict(frozen=True)

    timezone: str = "Europe/Amsterdam"
    product_groups: dict[str, list[str]] = Field(default_factory=dict)
    activities: dict[str, Activity]
    employees: dict[str, str] = Field(default_factory=dict)
    locations: dict[str, str] = Field(default_factory=dict)
    counters: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups_exist(self) -> RostarcasMapping:
        for code, activity in self.activities.items():
            unknown = [g for g in activity.groups if g not in self.product_groups]
            if unknown:
                raise ValueError(f"activity {code} names unknown product group(s) {', '.join(unknown)}")
            if activity.bookable and not activity.groups:
                raise ValueError(f"bookable activity {code} serves no product group")
        ZoneInfo(self.timezone)
        return self

    def skills(self, activity: Activity) -> list[str]:
        return sorted({p for g in activity.groups for p in self.product_groups[g]})


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> RostarcasMapping:
    with open(path, encoding="utf-8") as fh:
        return RostarcasMapping.model_validate(yaml.safe_load(fh))


def load_mapping(path: str | Path | None = None) -> RostarcasMapping:
    """The tables from `path` (default: mappings/rostarcas.yaml); re-read when the file changes."""
    p = Path(path) if path else DEFAULT_MAPPING_PATH
    return _load(str(p), p.stat().st_mtime)


class ShiftLike(Protocol):
    """What the mapping reads of a roster shift (connectors.rostarcas.Shift fits)."""

    @property
    def shift_id(self) -> str: ...
    @property
    def employee_id(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...
    @property
    def activity_code(self) -> str: ...
    @property
    def location_code(self) -> str: ...
    @property
    def counter_code(self) -> str | None: ...


class RosterBlock(BaseModel):
    """A staffing block as the register's StaffingBlock expects it (same field names)."""

    model_config = ConfigDict(frozen=True)

    id: str
    start: datetime
    end: datetime
    resource_id: str
    location_id: str
    counter_id: str | None = None
    skills: list[str] = Field(default_factory=list)
    capacity: int = Field(ge=0)


SkipKind = Literal["not_bookable", "unmapped_activity", "unmapped_employee", "unmapped_location",
                   "unmapped_counter", "invalid_time"]


@dataclass(frozen=True)
class Skipped:
    """A shift that becomes no block, and why (`not_bookable` is expected; the others are reported)."""

    shift_id: str
    kind: SkipKind
    reason: str


class NonexistentTimeError(ValueError):
    """A wall-clock time skipped by the spring clock change (02:00-03:00 on the last Sunday of March)."""


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` `at` in `zone` with that date's offset; an ambiguous autumn time is the first (summer-time) one."""
    local = datetime.combine(day, at, tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTimeError(f"{day.isoformat()} {at.strftime('%H:%M')} does not exist in {zone.key}")
    return local


def interval(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of a roster row; an end at or before the start is on the next day."""
    end_day = day + timedelta(days=1) if end <= start else day
    return wall_clock(day, start, zone), wall_clock(end_day, end, zone)


def block_id(shift_id: str) -> str:
    """The register block id of a shift: stable, so re-runs and moves update the same block."""
    safe = _SAFE.sub("_", shift_id)
    if safe != shift_id or len(safe) > 150:
        safe = f"{safe[:100]}-{hashlib.sha256(shift_id.encode()).hexdigest()[:16]}"
    return BLOCK_PREFIX + safe


def map_shift(shift: ShiftLike, mapping: RostarcasMapping) -> RosterBlock | Skipped:
    """The staffing block of one shift, or why it gets none."""
    activity = mapping.activities.get(shift.activity_code)
    if activity is None:
        return Skipped(shift.shift_id, "unmapped_activity", f"activity code {shift.activity_code} is not mapped")
    if not activity.bookable:
        return Skipped(shift.shift_id, "not_bookable", f"activity {shift.activity_code} is not bookable")
    resource = mapping.employees.get(shift.employee_id)
    if resource is None:
        return Skipped(shift.shift_id, "unmapped_employee", f"employee {shift.employee_id} is not mapped")
    location = mapping.locations.get(shift.location_code)
    if location is None:
        return Skipped(shift.shift_id, "unmapped_location", f"location code {shift.location_code} is not mapped")
    counter = None
    if shift.counter_code:
        counter = mapping.counters.get(shift.location_code, {}).get(shift.counter_code)
        if counter is None:
            return Skipped(shift.shift_id, "unmapped_counter",
                           f"counter {shift.counter_code} at {shift.location_code} is not mapped")
    try:
        start, end = interval(shift.day, shift.start, shift.end, ZoneInfo(mapping.timezone))
    except NonexistentTimeError as exc:
        return Skipped(shift.shift_id, "invalid_time", str(exc))
    return RosterBlock(id=block_id(shift.shift_id), start=start, end=end, resource_id=resource,
                       location_id=location, counter_id=counter, skills=mapping.skills(activity),
                       capacity=activity.capacity)


__all__ = ["BLOCK_PREFIX", "DEFAULT_MAPPING_PATH", "Activity", "NonexistentTimeError", "RostarcasMapping",
           "RosterBlock", "ShiftLike", "SkipKind", "Skipped", "block_id", "interval", "load_mapping", "map_shift",
           "wall_clock"]
