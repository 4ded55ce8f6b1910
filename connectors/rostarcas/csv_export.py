"""The CSV export: `rooster_YYYYMMDDTHHMMSS.csv`, UTF-8 (BOM allowed), `;`-separated, one header line.

Bad rows are reported with file, line and reason; the other rows go through. See contract_tests/rostarcas/README.md.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from connectors.rostarcas.models import RosterExport, RowProblem, Shift
from connectors.rostarcas.rows import FIELDS, REQUIRED, dedupe, parse_row

_NAME_TIME = re.compile(r"(\d{8}T\d{6})")
_COLUMN_TO_FIELD = {column.lower(): field for field, column in FIELDS.items()}


def generated_at_from_name(name: str, timezone: str = "Europe/Amsterdam") -> datetime | None:
    """The export time in a file name such as `rooster_20270301T060000.csv` (local time), or None."""
    match = _NAME_TIME.search(name)
    if not match:
        return None
    try:
        return datetime.strptime(match[1], "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        return None


def _decode(data: bytes, encoding: str, name: str, problems: list[RowProblem]) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        problems.append(RowProblem(file=name, line=line, reason=f"not valid {encoding} (first bad byte here)"))
        return data.decode(encoding, errors="replace")  # rows with U+FFFD are refused one by one


def parse_csv(name: str, data: bytes, *, delimiter: str = ";", encoding: str = "utf-8-sig",
              timezone: str = "Europe/Amsterdam") -> RosterExport:
    """Every usable shift of one CSV export, and every refused row with its line number."""
    problems: list[RowProblem] = []
    text = _decode(data, encoding, name, problems)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    shifts: list[Shift] = []
    try:
        header = next(reader)
    except StopIteration:
        return RosterExport(source=name, generated_at=generated_at_from_name(name, timezone),
                            problems=[RowProblem(file=name, line=1, reason="empty file (no header line)")])
    except csv.Error as exc:
        header = []
        problems.append(RowProblem(file=name, line=1, reason=f"unreadable header: {exc}"))
    columns = [_COLUMN_TO_FIELD.get(h.strip().lower()) for h in header]
    missing = [FIELDS[f] for f in REQUIRED if f not in columns]
    if missing:
        problems.append(RowProblem(file=name, line=1, reason="header lacks column(s) " + ", ".join(missing)
                                   + f" (delimiter {delimiter!r})"))
        return RosterExport(source=name, generated_at=generated_at_from_name(name, timezone), problems=problems)
    ended = reader.line_num  # physical lines read so far; a row starts on the line after the previous row
    while True:
        line = ended + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(file=name, line=line, reason=f"unreadable line: {exc}"))
            ended = reader.line_num
            continue
        ended = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(RowProblem(file=name, line=line,
                                       reason=f"{len(row)} fields where the header has {len(header)}"))
            continue
        values = {col: cell for col, cell in zip(columns, row, strict=True) if col is not None}
        result = parse_row(values, name, line)
        if isinstance(result, RowProblem):
            problems.append(result)
        else:
            shifts.append(result)
    shifts = dedupe(shifts, problems)
    return RosterExport(source=name, generated_at=generated_at_from_name(name, timezone), shifts=shifts,
                        problems=sorted(problems, key=lambda p: p.line))


__all__ = ["generated_at_from_name", "parse_csv"]
