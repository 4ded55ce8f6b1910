"""Times and durations as operators type them on the command line and in the console."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or date-time (`2026-12-06`, `2026-12-06T18:00`, `…+01:00`); without an offset it is
    Amsterdam time. Raises ValueError with a one-line message."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date or time: {text!r} (use e.g. 2026-12-06T18:00 or 2026-12-06)") from None
    return moment.replace(tzinfo=LOCAL) if moment.tzinfo is None else moment


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `2h`, `1d`. Raises ValueError with a one-line message."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 2h or 1d)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
