"""JCC vendor quirks, resolved in one place (pure functions).

- Times come without an offset: they are Europe/Amsterdam wall-clock time (DST included).
- `productID` may list several products, comma-separated; a repeated id is a quantity
  (`1,2,1` is product 1 twice and product 2 once).
- Optional fields arrive absent, empty or whitespace; an unknown birth date is `0001-01-01`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from mappings.jcc.records import ProductLine

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UNKNOWN_DATE = date(1, 1, 1)


class NonexistentLocalTime(ValueError):
    """A wall-clock time that does not exist in Europe/Amsterdam (the hour skipped in spring)."""


def blank_to_none(value: object) -> str | None:
    """Strip a text value; empty or whitespace-only becomes None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def product_lines(product_ids: str | None) -> tuple[ProductLine, ...]:
    """`"1,2,1"` → product 1 (quantity 2), product 2 (quantity 1), in order of first appearance; blanks are ignored."""
    if not product_ids:
        return ()
    ids = [p.strip() for p in product_ids.split(",") if p.strip()]
    counts = Counter(ids)
    return tuple(ProductLine(product_id=pid, quantity=counts[pid]) for pid in dict.fromkeys(ids))


def amsterdam_time(value: datetime) -> datetime:
    """A JCC time as an aware datetime: naive values are Amsterdam wall-clock time.

    In the autumn overlap the first (summer-time) instant is taken; a time inside the spring gap
    raises NonexistentLocalTime. Values that already carry an offset are kept as they are.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    aware = value.replace(tzinfo=AMSTERDAM, fold=0)
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(AMSTERDAM).replace(tzinfo=None)
    if round_trip != value:
        raise NonexistentLocalTime(f"{value.isoformat()} does not exist in Europe/Amsterdam (DST gap)")
    return aware


def parse_local_datetime(text: str | None) -> datetime | None:
    """An ISO `xsd:dateTime` text from the export file (with or without offset) as an aware datetime."""
    text = blank_to_none(text)
    if text is None:
        return None
    return amsterdam_time(datetime.fromisoformat(text.replace("Z", "+00:00")))


def birth_date(value: date | str | None) -> date | None:
    """A birth date; JCC's `0001-01-01` and empty values mean unknown."""
    if isinstance(value, str):
        text = blank_to_none(value)
        value = date.fromisoformat(text) if text else None
    if value is None or value == UNKNOWN_DATE:
        return None
    return value


__all__ = [
    "AMSTERDAM",
    "NonexistentLocalTime",
    "amsterdam_time",
    "birth_date",
    "blank_to_none",
    "parse_local_datetime",
    "product_lines",
]
