"""Read one roster row (CSV line or JSON item) into a `Shift`, or say precisely why it cannot be used."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time

from connectors.rostarcas.models import RowProblem, Shift
from hub.logging import redact_text

#: Canonical field names (the JSON keys) and the CSV column that carries each.
FIELDS: dict[str, str] = {
    "shiftId": "DienstId",
    "employeeId": "MedewerkerId",
    "date": "Datum",
    "start": "Begin",
    "end": "Eind",
    "activityCode": "Activiteit",
    "locationCode": "Locatie",
    "counterCode": "Balie",
}
REQUIRED = ("shiftId", "employeeId", "date", "start", "end", "activityCode", "locationCode")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_ID = re.compile(r"[A-Za-z0-9._:/-]{1,150}")


def parse_date(text: str) -> date:
    """`YYYY-MM-DD` (ISO) or `DD-MM-YYYY` (Dutch)."""
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"date {text!r} is not YYYY-MM-DD or DD-MM-YYYY")


def parse_time(text: str) -> time:
    """`HH:MM` on the 24-hour clock (`24:00` is not allowed: use `00:00`, which means the next day as an end)."""
    match = _TIME.fullmatch(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"time {text!r} is not HH:MM (00:00-23:59)")
    return time(int(match[1]), int(match[2]))


def parse_row(values: Mapping[str, object], file: str, line: int) -> Shift | RowProblem:
    """`values` keyed by canonical names; a problem names the field and the reason, never other content."""
    clean: dict[str, str] = {}
    for key in FIELDS:
        raw = values.get(key)
        if raw is not None and not isinstance(raw, str):
            return RowProblem(file=file, line=line, reason=f"{key} must be text")
        text = (raw or "").strip()
        if "\ufffd" in text:
            return RowProblem(file=file, line=line, reason=f"{key} is not valid UTF-8")
        clean[key] = text
    missing = [k for k in REQUIRED if not clean[k]]
    if missing:
        return RowProblem(file=file, line=line, reason="missing " + ", ".join(missing))
    for key in ("shiftId", "employeeId", "activityCode", "locationCode", "counterCode"):
        if clean[key] and not _ID.fullmatch(clean[key]):
            return RowProblem(file=file, line=line, reason=f"{key} has characters outside A-Z a-z 0-9 . _ : / -")
    try:
        day = parse_date(clean["date"])
        start, end = parse_time(clean["start"]), parse_time(clean["end"])
    except ValueError as exc:  # the message quotes the bad value: keep personal data out of reports
        return RowProblem(file=file, line=line, reason=redact_text(str(exc)))
    if start == end:
        return RowProblem(file=file, line=line, reason="start and end are equal")
    return Shift(shift_id=clean["shiftId"], employee_id=clean["employeeId"], day=day, start=start, end=end,
                 activity_code=clean["activityCode"], location_code=clean["locationCode"],
                 counter_code=clean["counterCode"] or None, file=file, line=line)


def dedupe(shifts: list[Shift], problems: list[RowProblem]) -> list[Shift]:
    """Keep the first row of each shift id; later ones are reported (a shift id must be unique)."""
    first: dict[str, Shift] = {}
    for shift in shifts:
        seen = first.get(shift.shift_id)
        if seen is None:
            first[shift.shift_id] = shift
        else:
            problems.append(RowProblem(file=shift.file, line=shift.line,
                                       reason=f"duplicate shiftId (first on line {seen.line})"))
    return list(first.values())


__all__ = ["FIELDS", "REQUIRED", "dedupe", "parse_date", "parse_row", "parse_time"]
