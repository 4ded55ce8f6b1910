"""`migrate mapping scaffold`: mapping tables written from JCC's extracted catalogue, targets left empty.

Operations fill in `register_code` / `register_location_id` / `register_employee_id` (and the register's
name of each target, which `plan` checks against the register's catalogue); `plan` refuses while any
target is empty. rules.yaml starts as the shipped defaults.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mappings.jcc.tables import EMPLOYEE_COLUMNS, LOCATION_COLUMNS, PRODUCT_COLUMNS
from migration.catalogue import Catalogues, Entry
from migration.db import Staging


def _order(entries: dict[str, Entry]) -> list[Entry]:
    return sorted(entries.values(), key=lambda e: (not e.id.isdigit(), int(e.id) if e.id.isdigit() else 0, e.id))


def _csv(columns: tuple[str, ...], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(columns)
    out.writerows(rows)
    return buffer.getvalue()


def texts(cats: Catalogues) -> dict[str, str]:
    """The four files' texts from JCC's catalogue (empty targets)."""
    products = [(e.id, e.code or "", e.name or "", "", "", "") for e in _order(cats.jcc.get("product", {}))]
    locations = [(e.id, e.name or "", "", "") for e in _order(cats.jcc.get("location", {}))]
    employees = [(e.id, e.name or "", "", "") for e in _order(cats.jcc.get("employee", {}))]
    rules = resources.files("mappings.jcc").joinpath("rules.yaml").read_text("utf-8")
    return {"products.csv": _csv(PRODUCT_COLUMNS, products), "locations.csv": _csv(LOCATION_COLUMNS, locations),
            "employees.csv": _csv(EMPLOYEE_COLUMNS, employees), "rules.yaml": rules}


def scaffold(staging: Staging, out_dir: Path, *, dry_run: bool = False, force: bool = False) -> dict[str, Any]:
    """Write the tables to `out_dir`; counts of rows to fill in."""
    cats = Catalogues.load(staging)
    if not cats.jcc:
        raise ValueError("nothing extracted yet: run `afsprakenhub migrate extract` first (the tables are written "
                         "from the catalogue JCC answers)")
    files = texts(cats)
    existing = [name for name in files if (out_dir / name).exists()]
    if existing and not force and not dry_run:
        raise ValueError(f"{out_dir} already has {', '.join(existing)}; add --force to overwrite")
    if not dry_run:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out_dir / name).write_text(text, encoding="utf-8")
    return {"step": "mapping scaffold", "dryRun": dry_run, "folder": str(out_dir),
            "rowsToFill": {kind: len(cats.jcc.get(kind, {})) for kind in ("product", "location", "employee")},
            "next": f"fill in the register targets, then: afsprakenhub migrate --mapping-dir {out_dir} plan"}


__all__ = ["scaffold", "texts"]
