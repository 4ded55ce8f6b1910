"""PostgreSQL: the gate's batch INSERT over one JSON document stores exactly what SQLAlchemy's own INSERT stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from hub.store.bulk_insert import json_rows_insert
from hub.store.db import Database
from hub.store.tables import AuditRecord

pytestmark = pytest.mark.postgres

_AUDIT = json_rows_insert("audit_log", {"at": "timestamptz", "actor": "text", "flow": "text", "action": "text",
                                        "purpose": "text", "references": "json", "outcome": "text"},
                          "RETURNING id")
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
    t = AuditRecord.__table__
    with db.reading() as s:
        return [tuple(r) for r in s.execute(
            select(t.c.at, t.c.actor, t.c.flow, t.c.action, t.c.purpose, t.c.references, t.c.outcome)
            .where(t.c.actor.startswith(marker)).order_by(t.c.actor))]


def test_the_json_document_stores_what_sqlalchemy_stores(postgres_database: str) -> None:
    db = Database(postgres_database)
    try:
        with db.unit_of_work() as s:
            s.execute(text("TRUNCATE audit_log"))
            returned = _AUDIT.run(s, _rows("json"))
            s.execute(insert(AuditRecord.__table__), _rows("core"))
        assert len(returned) == 3
        ours, theirs = _stored(db, "json"), _stored(db, "core")
        assert len(ours) == 3
        assert [r[1:] for r in ours] == [(r[1].replace("core", "json"), *r[2:]) for r in theirs]
        assert [r[0] for r in ours] == [r[0] for r in theirs] == [_AT] * 3
        with db.unit_of_work() as s:  # a batch of another size runs the same statement text
            assert len(_AUDIT.run(s, _rows("more") * 7)) == 21
    finally:
        db.dispose()
