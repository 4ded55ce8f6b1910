"""The mapping tables checked against both catalogues: JCC's (extracted) and the register's (read via its API).

Every row names what it maps in JCC's terms (id plus code and/or description) and, optionally, the
register's name of its target. A row whose JCC identity differs from what JCC answers for that id, or
whose target the register does not have (or names differently), is a catalogue mismatch: `plan` rejects
the appointments that use it, naming the row, the table's value and the catalogue's value. Never a
silent remap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from mappings.jcc.tables import MappingTables
from migration.db import Staging, dumps, reference

_SPACES = re.compile(r"\s+")
#: mig_reference kinds: JCC's catalogue, and the register's (REGISTER_PREFIX + kind).
JCC_KINDS = ("product", "location", "employee")
REGISTER_PREFIX = "register-"


def same(a: str | None, b: str | None) -> bool:
    """Text identities compare case-insensitively with collapsed whitespace; a missing side is no evidence."""
    if not a or not b:
        return True
    return text_key(a) == text_key(b)


def text_key(value: str) -> str:
    return _SPACES.sub(" ", value).strip().casefold()


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: id, code (products) and description/name."""

    id: str
    code: str | None = None
    name: str | None = None


@dataclass
class Catalogues:
    """JCC's and the register's catalogues as staged (kind → id → entry)."""

    jcc: dict[str, dict[str, Entry]] = field(default_factory=dict)
    register: dict[str, dict[str, Entry]] = field(default_factory=dict)
    #: JCC kinds known only from an export's rows: an id missing there is no evidence.
    partial: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, staging: Staging) -> Catalogues:
        with staging.engine.connect() as conn:
            rows = list(conn.execute(select(reference.c.kind, reference.c.code, reference.c.payload)))
        out = cls()
        for kind, code, payload in rows:
            if kind not in JCC_KINDS and not kind.startswith(REGISTER_PREFIX):
                continue
            data: dict[str, Any] = json.loads(payload)
            entry = Entry(code, data.get("code"), data.get("description") or data.get("name"))
            if kind.startswith(REGISTER_PREFIX):
                out.register.setdefault(kind.removeprefix(REGISTER_PREFIX), {})[code] = entry
            else:
                out.jcc.setdefault(kind, {})[code] = entry
                if data.get("partial"):
                    out.partial.add(kind)
        return out


def store_register(staging: Staging, kind: str, entries: Iterable[Entry]) -> int:
    """Replace the staged register catalogue of `kind` (product, location, employee)."""
    rows = [{"kind": REGISTER_PREFIX + kind, "code": e.id, "payload": dumps({"code": e.code, "name": e.name})}
            for e in entries]
    with staging.engine.begin() as conn:
        conn.execute(reference.delete().where(reference.c.kind == REGISTER_PREFIX + kind))
        staging.upsert(conn, reference, rows)
    return len(rows)


@dataclass
class CatalogueCheck:
    """Problems per JCC id and kind, and which catalogues could be checked at all."""

    problems: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {k: {} for k in JCC_KINDS})
    checked: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, jcc_id: str, text: str) -> None:
        self.problems[kind].setdefault(jcc_id, []).append(text)

    def source_side(self) -> list[str]:
        """Problems where the table disagrees with JCC (not with the register)."""
        return [p for by_id in self.problems.values() for texts in by_id.values() for p in texts if "JCC says" in p]

    def all(self) -> list[str]:
        return [p for by_id in self.problems.values() for texts in by_id.values() for p in texts]

    def summary(self) -> dict[str, Any]:
        every = self.all()
        return {"checked": self.checked, "mismatchedRows": len(every), "mismatches": every[:50]}


def _jcc_side(check: CatalogueCheck, kind: str, file: str, jcc_id: str, line: int, table: Entry,
              catalogue: dict[str, Entry] | None, partial: bool) -> None:
    if catalogue is None:
        return
    found = catalogue.get(jcc_id)
    if found is None:
        if not partial:
            check.add(kind, jcc_id, f"{file} line {line} (JCC {kind} {jcc_id}): the table says "
                                    f"{_show(table)}, JCC says it has no {kind} {jcc_id}")
        return
    if not same(table.code, found.code) or not same(table.name, found.name):
        check.add(kind, jcc_id, f"{file} line {line} (JCC {kind} {jcc_id}): the table says {_show(table)}, "
                                f"JCC says {_show(found)}")


def _register_side(check: CatalogueCheck, kind: str, file: str, jcc_id: str, line: int, target: str,
                   name: str | None, catalogue: dict[str, Entry] | None) -> None:
    if catalogue is None:
        return
    found = catalogue.get(target)
    if found is None:
        check.add(kind, jcc_id, f"{file} line {line} (JCC {kind} {jcc_id}): the table maps it to {target}, "
                                f"the register has no {kind} {target}")
    elif not same(name, found.name):
        check.add(kind, jcc_id, f"{file} line {line} (JCC {kind} {jcc_id}): the table maps it to {target} "
                                f"'{name}', the register calls {target} '{found.name}'")


def _show(e: Entry) -> str:
    return " ".join(p for p in (e.code, f"'{e.name}'" if e.name else None) if p) or "(nothing)"


def check(tables: MappingTables, cats: Catalogues) -> CatalogueCheck:
    """Compare every table row with JCC's catalogue (its identity) and the register's (its target)."""
    out = CatalogueCheck()
    for kind in JCC_KINDS:
        out.checked[kind] = [side for side, cat in (("jcc", cats.jcc), ("register", cats.register)) if kind in cat]
    for pid, p in tables.products.items():
        _jcc_side(out, "product", "products.csv", pid, p.line, Entry(pid, p.jcc_code, p.jcc_description),
                  cats.jcc.get("product"), "product" in cats.partial)
        _register_side(out, "product", "products.csv", pid, p.line, p.code, p.register_name,
                       cats.register.get("product"))
    for lid, loc in tables.locations.items():
        _jcc_side(out, "location", "locations.csv", lid, loc.line, Entry(lid, None, loc.jcc_description),
                  cats.jcc.get("location"), "location" in cats.partial)
        _register_side(out, "location", "locations.csv", lid, loc.line, loc.register_id, loc.name,
                       cats.register.get("location"))
    for eid, emp in tables.employee_rows.items():
        _jcc_side(out, "employee", "employees.csv", eid, emp.line, Entry(eid, None, emp.jcc_name),
                  cats.jcc.get("employee"), "employee" in cats.partial)
        _register_side(out, "employee", "employees.csv", eid, emp.line, emp.register_id, emp.register_name,
                       cats.register.get("employee"))
    return out


__all__ = ["JCC_KINDS", "REGISTER_PREFIX", "CatalogueCheck", "Catalogues", "Entry", "check", "same",
           "store_register", "text_key"]
