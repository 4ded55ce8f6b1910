"""The simulated RostarCAS roster: entries as RostarCAS exports them (wall-clock times, no offsets)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

CSV_COLUMNS = ("DienstId", "MedewerkerId", "Datum", "Begin", "Eind", "Activiteit", "Locatie", "Balie")


@dataclass(frozen=True)
class RosterEntry:
    """One roster activity of one employee, as RostarCAS holds it."""

    shift_id: str
    employee_id: str
    day: date
    start: str  # HH:MM wall clock
    end: str
    activity: str
    location: str
    counter: str | None = None

    def json(self) -> dict[str, Any]:
        return {"shiftId": self.shift_id, "employeeId": self.employee_id, "date": self.day.isoformat(),
                "start": self.start, "end": self.end, "activityCode": self.activity,
                "locationCode": self.location, "counterCode": self.counter}

    def csv_row(self) -> list[str]:
        return [self.shift_id, self.employee_id, self.day.isoformat(), self.start, self.end, self.activity,
                self.location, self.counter or ""]

    def moved(self, **changes: Any) -> RosterEntry:
        return replace(self, **changes)


def to_csv(entries: Iterable[RosterEntry], extra_lines: Sequence[str] = (), *, delimiter: str = ";") -> bytes:
    """The CSV export (UTF-8 with BOM, CRLF, `;`); `extra_lines` are appended verbatim (to plant bad rows)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(entry.csv_row())
    for line in extra_lines:
        out.write(line + "\r\n")
    return out.getvalue().encode("utf-8-sig")


def file_name(generated_at: datetime) -> str:
    """`rooster_YYYYMMDDTHHMMSS.csv` in the roster's local time."""
    return f"rooster_{generated_at.strftime('%Y%m%dT%H%M%S')}.csv"


__all__ = ["CSV_COLUMNS", "RosterEntry", "file_name", "to_csv"]
