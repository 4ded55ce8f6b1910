"""The gate's batch INSERTs of fixed text store exactly what SQLAlchemy's own INSERT stores: on PostgreSQL one
JSON document, on SQLite multi-row VALUES with the columns' own bind processors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from hub.store import bulk_insert
from hub.store.bulk_insert import SqliteRowsInsert, json_rows_insert
from hub.store.db import Database
from hub.store.tables import AuditRecord

_COLUMNS = {"at": "timestamptz", "actor": "text", "flow": "text", "action": "text", "purpose": "text",
            "references": "json", "outcome": "text"}
_TABLE: Any = AuditRecord.__table__
_AT = datetime(2027, 3, 28, 1, 59, 59, 999999, tzinfo=UTC)


def _rows(marker: str) -> list[dict[str, Any]]:
    """Text that needs escaping, non-ASCII, nested JSON, nulls and times in several offsets."""
    return [
        {"at": _AT, "actor": f'{marker} gate:"1"\\n', "flow": None, "action": "a,b{c}", "purpose": "é \u2013 ☃ 𝄞",
         "references": {"passKey": None, "nested": {"list": [1, 2.5, True, "x\"y"]}, "ß": "\\u0041"},
         "outcome": "allow"},
        {"at": _AT.astimezone(timezone(timedelta(hours=2))), "actor": f"{marker} gate:2", "flow": "waste_depot",
         "action": "NULL", "purpose": "", "references": {}, "outcome": "deny"},
        {"at": _AT.astimezone(timezone(timedelta(hours=-9, minutes=-30))), "actor": f"{marker} gate:3",
         "flow": "waste_depot", "action": "x", "purpose": "'quoted'", "references": {"a": []}, "outcome": "deny"},
    ]


def _stored(db: Database, marker: str) -> list[tuple[Any, ...]]:
    t = _TABLE
    with db.reading() as s:
        return [tuple(r) for r in s.execute(
            select(t.c.at, t.c.actor, t.c.flow, t.c.action, t.c.purpose, t.c.references, t.c.outcome)
            .where(t.c.actor.startswith(marker)).order_by(t.c.actor))]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    found = Database(database_url)
    yield found
    found.dispose()


def _statement(db: Database) -> Any:
    if db.backend == "postgresql":
        return json_rows_insert("audit_log", _COLUMNS, "RETURNING id")
    return SqliteRowsInsert(_TABLE, tuple(_COLUMNS), "RETURNING id")


def test_the_fixed_statement_stores_what_sqlalchemy_stores(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    statement = _statement(db)
    with db.unit_of_work() as s:
        s.execute(text("DELETE FROM audit_log"))
        returned = statement.run(s, _rows("fixed"))
        s.execute(insert(_TABLE), _rows("core"))
    assert len(returned) == 3
    ours, theirs = _stored(db, "fixed"), _stored(db, "core")
    assert len(ours) == 3
    assert [r[1:] for r in ours] == [(r[1].replace("core", "fixed"), *r[2:]) for r in theirs]
    assert [r[0] for r in ours] == [r[0] for r in theirs] == [_AT] * 3
    monkeypatch.setattr(bulk_insert, "_SQLITE_VARIABLES", 7 * 2)  # SQLite: two rows per statement
    with db.unit_of_work() as s:  # a batch of another size: every row stored, every id returned
        ids = statement.run(s, _rows("more") * 7)
    assert len({i for (i,) in ids}) == 21 and len(_stored(db, "more")) == 21
