"""A batch INSERT on PostgreSQL as ONE constant statement over arrays: `INSERT … SELECT * FROM unnest(…)`.

SQLAlchemy's insertmanyvalues writes a multi-row VALUES statement whose text changes with the batch size; psycopg
parses every such text again in Python (its query cache holds short statements only) and an executemany without
RETURNING is one statement per row in a pipeline. With one array per column the statement's text never changes:
psycopg's cache and the server's prepared statements serve it, whatever the batch size (issue 28: 30 % of the
group commit's CPU on PostgreSQL was psycopg parsing those texts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, TextClause, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class UnnestInsert:
    """`INSERT INTO table (columns) SELECT * FROM unnest(one typed array per column) [suffix]`."""

    statement: TextClause
    columns: tuple[str, ...]
    json_columns: frozenset[str]

    def arrays(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """The rows as one list per column (JSON columns serialised, as SQLAlchemy's JSON type does)."""
        return {c: [json.dumps(r.get(c)) if c in self.json_columns else r.get(c) for r in rows]
                for c in self.columns}

    def run(self, s: Session, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert `rows` in one statement; the RETURNING rows (empty without a RETURNING suffix)."""
        result = cast(CursorResult[Any], s.execute(self.statement, self.arrays(rows)))
        return list(result.all()) if result.returns_rows else []


def unnest_insert(table: str, columns: Mapping[str, str], suffix: str = "") -> UnnestInsert:
    """The statement for `table` with `columns` {name: PostgreSQL type}; `suffix` e.g. ON CONFLICT … RETURNING …."""
    names = ", ".join(f'"{c}"' for c in columns)
    arrays = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in columns.items())
    statement = text(f'INSERT INTO "{table}" ({names}) SELECT * FROM unnest({arrays}) {suffix}'.rstrip())
    return UnnestInsert(statement, tuple(columns), frozenset(c for c, t in columns.items() if t == "json"))
