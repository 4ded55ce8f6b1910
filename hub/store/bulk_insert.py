"""Batch INSERTs of fixed text. PostgreSQL: ONE constant statement over one JSON parameter,
`INSERT … SELECT … FROM json_to_recordset(:rows)`. SQLite: a multi-row `INSERT … VALUES` per row count, run as
driver SQL with the values bound by the columns' own type processors (what SQLAlchemy's compiled statement
stores, without compiling and processing per execution).

SQLAlchemy's insertmanyvalues writes a multi-row VALUES statement whose text changes with the batch size; psycopg
parses every such text again in Python (its query cache holds short statements only) and an executemany without
RETURNING is one statement per row in a pipeline. With the rows as one JSON document the statement's text never
changes, so psycopg's cache and the server's prepared statements serve it whatever the batch size (issue 28: 30 %
of the group commit's CPU on PostgreSQL was psycopg parsing those texts). One JSON text, written by the standard
library's C encoder, also costs the client far less than one typed array per column, which psycopg writes element
by element in Python (14 % of a gate burst's CPU).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Table, TextClause, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


def _json_value(value: object) -> str:
    """What the JSON encoder cannot write itself: times as ISO 8601 (PostgreSQL casts them to timestamptz)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class JsonRowsInsert:
    """`INSERT INTO table (columns) SELECT columns FROM json_to_recordset(rows) AS r(typed columns) [suffix]`."""

    statement: TextClause
    columns: tuple[str, ...]

    def document(self, rows: Sequence[Mapping[str, Any]]) -> str:
        """The rows as one JSON array of objects (a missing column is NULL; JSON columns nested as they are)."""
        return json_document(rows, self.columns)

    def run(self, s: Session, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert `rows` in one statement; the RETURNING rows (empty without a RETURNING suffix)."""
        result = cast(CursorResult[Any], s.execute(self.statement, {"rows": self.document(rows)}))
        return list(result.all()) if result.returns_rows else []


def json_rows_sql(table: str, columns: Mapping[str, str], suffix: str = "", param: str = "rows") -> str:
    """`INSERT INTO table (columns) SELECT columns FROM json_to_recordset(:param) … suffix` as text, with `columns`
    {name: PostgreSQL type}; `suffix` e.g. ON CONFLICT … RETURNING …."""
    names = ", ".join(f'"{c}"' for c in columns)
    typed = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    return (f'INSERT INTO "{table}" ({names}) SELECT {names} FROM '
            f'json_to_recordset(CAST(:{param} AS json)) AS r({typed}) {suffix}').rstrip()


def json_rows_insert(table: str, columns: Mapping[str, str], suffix: str = "") -> JsonRowsInsert:
    """The statement for `table` with `columns` {name: PostgreSQL type}; `suffix` e.g. ON CONFLICT … RETURNING …."""
    return JsonRowsInsert(text(json_rows_sql(table, columns, suffix)), tuple(columns))


def json_document(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as one JSON array of objects with `columns` (a missing column is NULL; times as ISO 8601)."""
    return json.dumps([{c: r.get(c) for c in columns} for r in rows], default=_json_value, ensure_ascii=False,
                      separators=(",", ":"))


#: SQLite's bound variables per statement (3.32+); a longer batch is split.
_SQLITE_VARIABLES = 32766


@dataclass(frozen=True)
class SqliteRowsInsert:
    """`INSERT INTO table (columns) VALUES (?, …), … [suffix]` as driver SQL, one text per row count."""

    table: Table
    columns: tuple[str, ...]
    suffix: str = ""

    def run(self, s: Session, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert `rows` (a missing column is NULL); the RETURNING rows (empty without a RETURNING suffix)."""
        conn = s.connection()
        binds = _binds(self.table, self.columns, conn.dialect)
        values = [bind(r.get(c)) if bind else r.get(c) for r in rows for c, bind in zip(self.columns, binds,
                                                                                          strict=True)]
        width = len(self.columns)
        per_statement = _SQLITE_VARIABLES // width
        returned: list[Any] = []
        for start in range(0, len(rows), per_statement):
            count = min(per_statement, len(rows) - start)
            result = conn.exec_driver_sql(self._sql(count), tuple(values[start * width:(start + count) * width]))
            if result.returns_rows:
                returned += result.all()
        return returned

    def _sql(self, rows: int) -> str:
        return _values_sql(self.table.name, self.columns, self.suffix, rows)


@cache
def _values_sql(table: str, columns: tuple[str, ...], suffix: str, rows: int) -> str:
    """The statement text for `rows` rows."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES {", ".join([one] * rows)} {suffix}'.rstrip()


@cache
def _binds(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[Any, ...]:
    """Each column's bind processor for `dialect` (None where the driver takes the value as it is)."""
    return tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
