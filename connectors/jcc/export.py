"""Read a CSV export of the JCC database (one appointment per row, columns as in `EXPORT_COLUMNS`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from connectors.jcc.parse import appointment_from_fields
from mappings.jcc.records import JccAppointment, payload_hash


def read_export(path: Path, *, delimiter: str | None = None) -> Iterator[tuple[JccAppointment, str]]:
    """Stream (appointment, raw payload hash) per row; `;` or `,` is detected when not given."""
    for rec, digest, _ in read_export_rows(path, delimiter=delimiter):
        yield rec, digest


def read_export_rows(path: Path, *, delimiter: str | None = None
                     ) -> Iterator[tuple[JccAppointment, str, dict[str, str]]]:
    """Stream (appointment, raw payload hash, the raw row as read) per row."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        if delimiter is None:
            head = handle.readline()
            delimiter = ";" if head.count(";") > head.count(",") else ","
            handle.seek(0)
        for row in csv.DictReader(handle, delimiter=delimiter):
            raw = {k: v for k, v in row.items() if k is not None}
            yield appointment_from_fields(raw), payload_hash(raw), raw


def count_rows(path: Path) -> int:
    """Data rows in the export (for the progress bar)."""
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


__all__ = ["count_rows", "read_export", "read_export_rows"]
