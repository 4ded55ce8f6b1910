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
    if not isinstance(value, list):
        return ""
    items = [_obj(p) for p in value]
    return ";".join(sorted(f"{_text(p.get('code'))}*{_text(p.get('quantity') or 1)}" for p in items))


def view_of(wire: Wire) -> View:
    """Times in UTC, duration in whole minutes, products as sorted `CODE*n`, everything else as text."""
    return view_and_day(wire)[0]


def view_and_day(wire: Wire) -> tuple[View, str | None]:
    """`view_of` and `local_day` at once (the start time read once)."""
    raw_start = wire.get("start")
    start, utc, day = _start(raw_start) if type(raw_start) is str else (None, "", None)
    end = _moment(wire.get("end"))
    c = _obj(wire.get("customer"))
    duration = "" if start is None or end is None else str(int((end - start).total_seconds() // 60))
    view = {
        "start": utc if start else f"(not a time: {_text(raw_start)})",
        "durationMinutes": duration,
        "location": _text(_obj(wire.get("location")).get("id")),
        "products": _products(wire.get("products")),
        "status": _text(wire.get("status")),
        "employee": _text(_obj(wire.get("employee")).get("id")),
        "caseReference": _text(wire.get("caseReference")),
        "customer.bsn": _text(c.get("bsn")),
        "customer.birthDate": _text(c.get("birthDate")),
        "customer.initials": _text(c.get("initials")),
        "customer.firstName": _text(c.get("firstName")),
        "customer.lastNamePrefix": _text(c.get("lastNamePrefix")),
        "customer.lastName": _text(c.get("lastName")),
        "customer.email": _text(c.get("email")),
        "customer.phone": _text(c.get("phone")),
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
