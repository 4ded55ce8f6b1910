"""Wall-clock times without an offset (as JCC G-Plan and Qmatic send them) ↔ aware datetimes (pure).

A vendor that drops the offset speaks the location's wall-clock time (Europe/Amsterdam unless the vendor
names another zone). Reading: in the autumn overlap (the hour that happens twice) the first instant, summer
time, is taken; a time inside the spring gap (the hour that does not exist) is refused. Writing: an instant
in the second pass of the autumn hour cannot be written as wall-clock time without becoming the first pass,
so it is refused rather than silently shifted by an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class LocalTimeError(ValueError):
    """A wall-clock time that does not exist, or an instant that wall-clock time cannot tell apart."""


def from_wall_clock(value: datetime, zone: ZoneInfo = AMSTERDAM) -> datetime:
    """A vendor's time as an aware datetime in `zone`; a value that carries an offset is converted to `zone`."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(zone)
    aware = value.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise LocalTimeError(f"{value.isoformat()} does not exist in {zone.key} (the hour skipped in spring)")
    return aware


def to_wall_clock(value: datetime, zone: ZoneInfo = AMSTERDAM) -> datetime:
    """An aware datetime as a naive wall-clock time in `zone` (what the vendor expects)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise LocalTimeError("time must carry a UTC offset")
    local = value.astimezone(zone)
    naive = local.replace(tzinfo=None)
    # compared in UTC: within one zone Python compares wall-clock times and ignores `fold`
    if from_wall_clock(naive, zone).astimezone(UTC) != local.astimezone(UTC):
        raise LocalTimeError(f"{local.isoformat()} is the second pass of the autumn hour in {zone.key}; "
                             "without an offset it would be read as the first")
    return naive


def wall_clock_text(value: datetime, zone: ZoneInfo = AMSTERDAM) -> str:
    """`2027-03-01T09:00:00`: an aware datetime as the vendor's offset-less text (seconds, no fraction)."""
    return to_wall_clock(value, zone).replace(microsecond=0).isoformat()


__all__ = ["AMSTERDAM", "LocalTimeError", "from_wall_clock", "to_wall_clock", "wall_clock_text"]
