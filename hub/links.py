"""The link table: per appointment and peer, the remote id, last applied version and content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.db import Database
from hub.store.tables import Link, utcnow

#: Core, not the ORM: links are read and written several times per delivery, and an ORM load or flush costs
#: several times a plain statement's CPU (a worker's deliveries per second are bound by it).
LINKS = cast(Table, Link.__table__)
_COLUMNS = (LINKS.c.appointment_id, LINKS.c.peer, LINKS.c.remote_id, LINKS.c.last_version, LINKS.c.content_hash,
            LINKS.c.data)


def content_hash(payload: Any) -> str:
    """A stable hash of JSON-able content: unchanged content, same hash, no call."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class LinkState:
    appointment_id: str
    peer: str
    remote_id: str | None
    last_version: int | None
    content_hash: str | None
    data: dict[str, Any] | None


class LinkStore:
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._now = now

    def get(self, appointment_id: str, peer: str) -> LinkState | None:
        with self._db.reading() as s:
            row = s.connection().execute(select(*_COLUMNS).where(
                LINKS.c.appointment_id == appointment_id, LINKS.c.peer == peer)).first()
            return LinkState(*row) if row is not None else None

    def put(self, appointment_id: str, peer: str, *, remote_id: str | None = None,
            version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Record what was applied; the stored version never goes down."""
        with self._db.unit_of_work() as s:
            put_link(s, appointment_id, peer, self._now(), remote_id=remote_id, version=version, hash_=hash_,
                     data=data)

    def for_appointment(self, appointment_id: str) -> list[LinkState]:
        with self._db.reading() as s:
            rows = s.connection().execute(select(*_COLUMNS).where(LINKS.c.appointment_id == appointment_id)
                                          .order_by(LINKS.c.peer))
            return [LinkState(*r) for r in rows]


def put_link(s: Session, appointment_id: str, peer: str, now: datetime, *, remote_id: str | None = None,
             version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
    """`LinkStore.put` inside an open transaction: one upsert; fields left None keep their stored value."""
    values: dict[str, Any] = {"remote_id": remote_id, "content_hash": hash_, "data": data}
    values = {k: v for k, v in values.items() if v is not None}
    if version is not None:
        values["last_version"] = max(version, 0)
    values["updated_at"] = now
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(LINKS).values(appointment_id=appointment_id, peer=peer, **values)
    update: dict[str, Any] = {k: stmt.excluded[k] for k in values}
    if version is not None:  # the stored version never goes down
        current, new = LINKS.c.last_version, stmt.excluded.last_version
        update["last_version"] = case((current.is_(None) | (new > current), new), else_=current)
    s.connection().execute(stmt.on_conflict_do_update(index_elements=[LINKS.c.appointment_id, LINKS.c.peer],
                                                      set_=update))
