"""The pass list as a CSV file dropped in a folder (by the waste team, TIP, or an SFTP sync): newest file wins.

Columns (header row, `;` by default): `pasnummer`, `status` (geldig | vervallen), optional `bezoeken` (visits
used this calendar year outside the hub). Files are only read, never moved or removed.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from pathlib import Path

from pydantic import ValidationError

from connectors.passes.models import PassList, PassRecord, parse_status
from connectors.passes.settings import PassListSettings
from hub.errors import PermanentError

MAX_BYTES = 50 * 1024 * 1024


def newest(names: list[str], pattern: str) -> str | None:
    """The last name (by sort order) matching `pattern`, ignoring partial uploads."""
    matching = sorted(n for n in names if fnmatch.fnmatchcase(n, pattern) and not n.endswith((".part", ".tmp")))
    return matching[-1] if matching else None


def parse_csv(text: str, where: str, delimiter: str = ";") -> PassList:
    """Rows → passes; a bad row is reported by line number (without its content) and skipped."""
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"pasnummer", "status"} <= fields:
        raise PermanentError(f"pass list {where}: header must name pasnummer and status")
    passes: list[PassRecord] = []
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            passes.append(PassRecord(pass_number=clean["pasnummer"], status=parse_status(clean["status"]),
                                     visits_used=int(clean.get("bezoeken") or 0)))
        except (ValueError, ValidationError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            problems.append(f"{where}:{line}: {reason}")
    return PassList(source=where, passes=passes, problems=problems)


class FolderPassSource:
    """CSV files in a local (or mounted) folder."""

    name = "folder"

    def __init__(self, settings: PassListSettings) -> None:
        self.settings = settings

    def fetch(self) -> PassList:
        folder = Path(self.settings.folder)
        if not folder.is_dir():
            raise PermanentError(f"pass list folder {folder} is not a folder")
        name = newest([p.name for p in folder.iterdir() if p.is_file()], self.settings.file_pattern)
        if name is None:
            raise PermanentError(f"no pass list matching {self.settings.file_pattern} in {folder}")
        path = folder / name
        if path.stat().st_size > MAX_BYTES:
            raise PermanentError(f"pass list {name} is larger than {MAX_BYTES} bytes")
        return parse_csv(path.read_text(encoding="utf-8-sig"), name, self.settings.delimiter)
