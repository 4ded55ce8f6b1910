"""The JCC mapping tables (products, locations, employees, rules), parsed from their text (no I/O).

Every row carries both identities of what it maps: JCC's (id plus code and/or description, checked by
`plan` against the catalogue JCC itself answers) and the register's (code or id, optionally its name,
checked against the register's catalogue). A target left empty (as `migrate mapping scaffold` writes
it) parses, but `plan` refuses to run until operations have filled it in.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field

#: File names in a mapping folder (default: this package's folder).
TABLE_FILES = ("products.csv", "locations.csv", "employees.csv", "rules.yaml")
PRODUCT_COLUMNS = ("jcc_product_id", "jcc_code", "jcc_description", "register_code", "register_name", "department")
LOCATION_COLUMNS = ("jcc_location_id", "jcc_description", "register_location_id", "register_name")
EMPLOYEE_COLUMNS = ("jcc_employee_id", "jcc_name", "register_employee_id", "register_name")


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
    """One products.csv row: register code (and department) for a JCC product, with both identities."""

    code: str
    department: str | None
    jcc_code: str | None = None
    jcc_description: str | None = None
    register_name: str | None = None
    line: int = 0


class LocationEntry(NamedTuple):
    """One locations.csv row (index 0 is the register's id, 1 the name sent to the register)."""

    register_id: str
    name: str | None
    jcc_description: str | None = None
    line: int = 0


@dataclass(frozen=True)
class EmployeeEntry:
    """One employees.csv row."""

    register_id: str
    jcc_name: str | None = None
    register_name: str | None = None
    line: int = 0


@dataclass(frozen=True)
class EmptyTarget:
    """A row whose register target is still empty (`file` line `line`, JCC id `jcc_id`)."""

    file: str
    line: int
    jcc_id: str
    identity: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: JCC {self.jcc_id} ({self.identity}) has no register target"


@dataclass(frozen=True)
class MappingTables:
    """JCC id → register value, per kind; `digest` identifies the exact tables used (for the report)."""

    products: dict[str, ProductEntry] = field(default_factory=dict)
    locations: dict[str, LocationEntry] = field(default_factory=dict)
    employees: dict[str, str] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    digest: str = ""
    employee_rows: dict[str, EmployeeEntry] = field(default_factory=dict)
    empty_targets: tuple[EmptyTarget, ...] = ()


def _rows(text: str, name: str, key: str, value: str, identity: tuple[str, ...]) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {key, value, *identity} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(sorted(missing))} (every row names what it maps "
                         f"in JCC's terms; `afsprakenhub migrate mapping scaffold` writes the columns)")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        k = (row.get(key) or "").strip()
        if not k:
            raise ValueError(f"{name} line {number}: {key} is required")
        if k in seen:
            raise ValueError(f"{name} line {number}: {key} {k} appears twice")
        if identity and not any((row.get(c) or "").strip() for c in identity):
            raise ValueError(f"{name} line {number}: JCC {k} needs {' and/or '.join(identity)} (JCC's own identity "
                             "of what the row maps, checked against JCC's catalogue)")
        seen.add(k)
        rows.append({**{c: (row.get(c) or "").strip() for c in reader.fieldnames or ()}, "_line": number})
    return rows


def _empty(name: str, rows: list[dict[str, Any]], key: str, value: str,
           identity: tuple[str, ...]) -> list[EmptyTarget]:
    return [EmptyTarget(name, r["_line"], r[key], " ".join(r[c] for c in identity if r.get(c)) or "-")
            for r in rows if not r[value]]


def parse_tables(texts: dict[str, str]) -> MappingTables:
    """Tables from the texts of `TABLE_FILES` (a missing employees.csv or rules.yaml means empty/defaults)."""
    prod = _rows(texts["products.csv"], "products.csv", "jcc_product_id", "register_code",
                 ("jcc_code", "jcc_description"))
    locs = _rows(texts["locations.csv"], "locations.csv", "jcc_location_id", "register_location_id",
                 ("jcc_description",))
    emps = _rows(texts.get("employees.csv", ",".join(EMPLOYEE_COLUMNS) + "\n"), "employees.csv",
                 "jcc_employee_id", "register_employee_id", ())
    products = {r["jcc_product_id"]: ProductEntry(r["register_code"], r.get("department") or None,
                                                  r.get("jcc_code") or None, r.get("jcc_description") or None,
                                                  r.get("register_name") or None, r["_line"])
                for r in prod if r["register_code"]}
    locations = {r["jcc_location_id"]: LocationEntry(r["register_location_id"], r.get("register_name") or None,
                                                     r.get("jcc_description") or None, r["_line"])
                 for r in locs if r["register_location_id"]}
    employee_rows = {r["jcc_employee_id"]: EmployeeEntry(r["register_employee_id"], r.get("jcc_name") or None,
                                                         r.get("register_name") or None, r["_line"])
                     for r in emps if r["register_employee_id"]}
    empty = (_empty("products.csv", prod, "jcc_product_id", "register_code", ("jcc_code", "jcc_description"))
             + _empty("locations.csv", locs, "jcc_location_id", "register_location_id", ("jcc_description",))
             + _empty("employees.csv", emps, "jcc_employee_id", "register_employee_id", ("jcc_name",)))
    raw: Any = yaml.safe_load(texts.get("rules.yaml", "")) or {}
    if not isinstance(raw, dict):
        raise ValueError("rules.yaml: expected a mapping")
    digest = hashlib.sha256("\x1f".join(texts.get(n, "") for n in TABLE_FILES).encode()).hexdigest()[:16]
    return MappingTables(products, locations, {k: e.register_id for k, e in employee_rows.items()},
                         Rules.model_validate(raw), digest, employee_rows, tuple(empty))


__all__ = ["EMPLOYEE_COLUMNS", "LOCATION_COLUMNS", "PRODUCT_COLUMNS", "TABLE_FILES", "EmployeeEntry", "EmptyTarget",
           "LocationEntry", "MappingTables", "ProductEntry", "Rules", "parse_tables"]
