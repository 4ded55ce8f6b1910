"""The JCC mapping tables (products, locations, employees, rules), parsed from their text (no I/O)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

#: File names in a mapping folder (default: this package's folder).
TABLE_FILES = ("products.csv", "locations.csv", "employees.csv", "rules.yaml")


class Rules(BaseModel):
    """rules.yaml: status, channel and language rules of the conversion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    future_status: str = "booked"
    past_status: str = "completed"
    channel: str | None = None
    languages: dict[str, str] = Field(default_factory=dict)
    default_language: str | None = None
    pad_client_id_to_nine_digits: bool = True


@dataclass(frozen=True)
class ProductEntry:
    code: str
    department: str | None


@dataclass(frozen=True)
class MappingTables:
    """JCC id → register value, per kind; `digest` identifies the exact tables used (for the report)."""

    products: dict[str, ProductEntry] = field(default_factory=dict)
    locations: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    employees: dict[str, str] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    digest: str = ""


def _rows(text: str, name: str, key: str, value: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {key, value} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(sorted(missing))}")
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        k, v = (row.get(key) or "").strip(), (row.get(value) or "").strip()
        if not k or not v:
            raise ValueError(f"{name} line {number}: {key} and {value} are required")
        if k in seen:
            raise ValueError(f"{name} line {number}: {key} {k} appears twice")
        seen.add(k)
        rows.append({c: (row.get(c) or "").strip() for c in reader.fieldnames or ()})
    return rows


def parse_tables(texts: dict[str, str]) -> MappingTables:
    """Tables from the texts of `TABLE_FILES` (a missing employees.csv or rules.yaml means empty/defaults)."""
    products = {r["jcc_product_id"]: ProductEntry(r["register_code"], r.get("department") or None)
                for r in _rows(texts["products.csv"], "products.csv", "jcc_product_id", "register_code")}
    locations = {r["jcc_location_id"]: (r["register_location_id"], r.get("name") or None)
                 for r in _rows(texts["locations.csv"], "locations.csv", "jcc_location_id", "register_location_id")}
    employees = {r["jcc_employee_id"]: r["register_employee_id"]
                 for r in _rows(texts.get("employees.csv", "jcc_employee_id,register_employee_id\n"),
                                "employees.csv", "jcc_employee_id", "register_employee_id")}
    raw: Any = yaml.safe_load(texts.get("rules.yaml", "")) or {}
    if not isinstance(raw, dict):
        raise ValueError("rules.yaml: expected a mapping")
    digest = hashlib.sha256("\x1f".join(texts.get(n, "") for n in TABLE_FILES).encode()).hexdigest()[:16]
    return MappingTables(products, locations, employees, Rules.model_validate(raw), digest)


__all__ = ["TABLE_FILES", "MappingTables", "ProductEntry", "Rules", "parse_tables"]
