"""The capacity-conflict report: CSV (`;`, UTF-8 with BOM, for Excel) and JSON, one pair per check."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flows.roster.conflicts import Conflict

COLUMNS = ("date", "block", "kind", "location", "counter", "employee", "skills", "start", "end", "capacity",
           "booked", "appointment_ids")
LATEST = "roster-conflicts-latest"


def to_csv(conflicts: Sequence[Conflict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for c in conflicts:
        writer.writerow([c.date.isoformat(), c.block_id, c.kind, c.location_id, c.counter_id or "", c.resource_id,
                         " ".join(c.skills), c.start.isoformat(), c.end.isoformat(), c.capacity, c.booked,
                         " ".join(c.appointment_ids)])
    return out.getvalue()


def to_json(conflicts: Sequence[Conflict], at: datetime, checked_blocks: int) -> str:
    body = {"generatedAt": at.isoformat(), "checkedBlocks": checked_blocks, "conflicts": len(conflicts),
            "items": [c.model_dump(mode="json") for c in conflicts]}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write_report(folder: Path, conflicts: Sequence[Conflict], at: datetime, checked_blocks: int) -> Path:
    """Write `roster-conflicts-<UTC time>.csv/.json` and refresh `roster-conflicts-latest.*`; the JSON path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    csv_text, json_text = to_csv(conflicts), to_json(conflicts, at, checked_blocks)
    for stem in (f"roster-conflicts-{stamp}", LATEST):
        _atomic_write(folder / f"{stem}.csv", csv_text.encode("utf-8-sig"))
        _atomic_write(folder / f"{stem}.json", json_text.encode("utf-8"))
    return folder / f"roster-conflicts-{stamp}.json"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


__all__ = ["COLUMNS", "LATEST", "to_csv", "to_json", "write_report"]
