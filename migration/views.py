"""The fields plan and reconcile compare, taken from an appointment's JSON: the register's answer or the plan's body.

One function for both sides, on parsed JSON (no models): the same appointment gives the same view, byte for byte,
so reconcile compares two strings and only looks at the fields when they differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import cast

import orjson

from connectors.jcc.quirks import AMSTERDAM

#: An appointment as JSON (camelCase keys), parsed.
Wire = Mapping[str, object]
View = dict[str, str]


def _obj(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _moment(value: object) -> datetime | None:
    """An ISO date-time with an offset, or None (absent, not a time, or without offset)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _products(value: object) -> str:
    """The lines as sorted `CODE*n` (a line that is no object is `*1`; JSON values print as `str` prints them)."""
    if not isinstance(value, list):
        return ""
    lines = []
    for item in value:
        line = _obj(item)
        code = line.get("code")
        lines.append(f"{'' if code is None else code}*{line.get('quantity') or 1}")
    if len(lines) > 1:
        lines.sort()
    return ";".join(lines)


def view_of(wire: Wire) -> View:
    """Times in UTC, duration in whole minutes, products as sorted `CODE*n`, everything else as text."""
    return view_and_day(wire)[0]


def view_and_day(wire: Wire) -> tuple[View, str | None]:
    """`view_of` and `local_day` at once (the start time read once).

    Runs once per appointment on each side (plan's body, the register's answer): text values are taken as they
    are without a call, and a start and end text are converted once (`_start`, `_duration`).
    """
    get = wire.get
    raw_start, raw_end = get("start"), get("end")
    start, utc, day = _start(raw_start) if type(raw_start) is str else (None, "", None)
    duration = _duration(raw_start, raw_end) if start is not None and isinstance(raw_end, str) else ""
    c = _obj(get("customer"))
    (status, case, location, employee, bsn, birth, initials, first, prefix, last, email,
     phone) = (get("status"), get("caseReference"), _obj(get("location")).get("id"), _obj(get("employee")).get("id"),
               c.get("bsn"), c.get("birthDate"), c.get("initials"), c.get("firstName"), c.get("lastNamePrefix"),
               c.get("lastName"), c.get("email"), c.get("phone"))
    view = {
        "start": utc if start else f"(not a time: {_text(raw_start)})",
        "durationMinutes": duration,
        "location": location if type(location) is str else _text(location),
        "products": _products(get("products")),
        "status": status if type(status) is str else _text(status),
        "employee": employee if type(employee) is str else _text(employee),
        "caseReference": case if type(case) is str else _text(case),
        "customer.bsn": bsn if type(bsn) is str else _text(bsn),
        "customer.birthDate": birth if type(birth) is str else _text(birth),
        "customer.initials": initials if type(initials) is str else _text(initials),
        "customer.firstName": first if type(first) is str else _text(first),
        "customer.lastNamePrefix": prefix if type(prefix) is str else _text(prefix),
        "customer.lastName": last if type(last) is str else _text(last),
        "customer.email": email if type(email) is str else _text(email),
        "customer.phone": phone if type(phone) is str else _text(phone),
    }
    return view, day


@lru_cache(maxsize=100_000)
def _start(text: str) -> tuple[datetime | None, str, str | None]:
    """A start time text as (moment, in UTC as text, its day in Europe/Amsterdam); appointments start on a day's
    slots, so the same text recurs across many of them and is converted once."""
    start = _moment(text)
    if start is None:
        return None, "", None
    return start, start.astimezone(UTC).isoformat(), start.astimezone(AMSTERDAM).date().isoformat()


@lru_cache(maxsize=100_000)
def _duration(start_text: str, end_text: str) -> str:
    """Whole minutes from a start to an end time text ("" when the end is no time with an offset); slots recur,
    so a pair of texts is converted once."""
    start, end = _start(start_text)[0], _moment(end_text)
    return "" if start is None or end is None else str(int((end - start).total_seconds() // 60))


def local_day(wire: Wire) -> str | None:
    """The appointment's start day in Europe/Amsterdam (None when it has no start time with an offset)."""
    return view_and_day(wire)[1]


def dump_view(view: View) -> str:
    """A view as compact JSON with sorted keys: equal views give equal text."""
    return orjson.dumps(view, option=orjson.OPT_SORT_KEYS).decode()


def load_view(text: str) -> View:
    """A view `dump_view` wrote (staging's own data: not checked again)."""
    return cast(View, orjson.loads(text))


__all__ = ["View", "Wire", "dump_view", "load_view", "local_day", "view_and_day", "view_of"]
