"""The link table: per appointment and peer, the remote id, last applied version and content hash."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Insert, Table, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub import ldv
from hub.store.db import Database
from hub.store.tables import Link, utcnow

#: Core, not the ORM: links are read and written several times per delivery, and an ORM load or flush costs
#: several times a plain statement's CPU (a worker's deliveries per second are bound by it).
LINKS = cast(Table, Link.__table__)
_COLUMNS = (LINKS.c.appointment_id, LINKS.c.peer, LINKS.c.remote_id, LINKS.c.last_version, LINKS.c.content_hash,
            LINKS.c.data)
_GET = select(*_COLUMNS).where(LINKS.c.appointment_id == bindparam("b_appointment"),
                               LINKS.c.peer == bindparam("b_peer"))
_FOR_APPOINTMENT = select(*_COLUMNS).where(LINKS.c.appointment_id == bindparam("b_appointment")).order_by(LINKS.c.peer)


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
            row = s.connection().execute(_GET, {"b_appointment": appointment_id, "b_peer": peer}).first()
            return LinkState(*row) if row is not None else None

    def put(self, appointment_id: str, peer: str, *, remote_id: str | None = None,
            version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Record what was applied; the stored version never goes down."""
        with self._db.one_statement() as s:
            put_link(s, appointment_id, peer, self._now(), remote_id=remote_id, version=version, hash_=hash_,
                     data=data)

    def put_now(self, appointment_id: str, peer: str, *, remote_id: str | None = None,
                version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
        """`put`, durable before this returns even inside a delivery: a note that must survive a crash (a write
        that may land at a peer later), made before the peer call."""
        self.put(appointment_id, peer, remote_id=remote_id, version=version, hash_=hash_, data=data)

    def for_appointment(self, appointment_id: str) -> list[LinkState]:
        with self._db.reading() as s:
            rows = s.connection().execute(_FOR_APPOINTMENT, {"b_appointment": appointment_id})
            return [LinkState(*r) for r in rows]

    def for_appointments(self, appointment_ids: Sequence[str], peers: Sequence[str],
                         chunk: int = 500) -> dict[tuple[str, str], LinkState]:
        """The links of `appointment_ids` for `peers`, by (appointment, peer); one query per `chunk` ids."""
        found: dict[tuple[str, str], LinkState] = {}
        with self._db.reading() as s:
            for offset in range(0, len(appointment_ids), chunk):
                rows = s.connection().execute(select(*_COLUMNS).where(
                    LINKS.c.appointment_id.in_(appointment_ids[offset:offset + chunk]), LINKS.c.peer.in_(peers)))
                for r in rows:
                    found[(r[0], r[1])] = LinkState(*r)
        return found

    def by_remote_id(self, remote_id: str, peers: Sequence[str]) -> LinkState | None:
        """A link of one of `peers` whose remote id is `remote_id` (the first found)."""
        with self._db.reading() as s:
            row = s.connection().execute(select(*_COLUMNS).where(
                LINKS.c.remote_id == remote_id, LINKS.c.peer.in_(peers)).limit(1)).first()
            return LinkState(*row) if row is not None else None

    def data_of_peer(self, peer: str) -> list[dict[str, Any]]:
        """The `data` of every link of `peer` that has some."""
        with self._db.reading() as s:
            rows = s.connection().execute(select(LINKS.c.data).where(LINKS.c.peer == peer))
            return [d for (d,) in rows if d]


def put_link(s: Session, appointment_id: str, peer: str, now: datetime, *, remote_id: str | None = None,
             version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
    """`LinkStore.put` inside an open transaction: one upsert; fields left None keep their stored value."""
    if remote_id is not None:  # LDV: the peer's own id of what the running delivery did there
        ldv.peer_operation(peer, remote_id)
    write_links(s.connection(), [(appointment_id, peer, link_values(remote_id, version, hash_, data))], now)


def link_values(remote_id: str | None, version: int | None, hash_: str | None,
                data: dict[str, Any] | None) -> dict[str, Any]:
    """The columns an upsert sets: those given (not None); a version is never below 0."""
    values: dict[str, Any] = {"remote_id": remote_id, "content_hash": hash_, "data": data,
                              "last_version": None if version is None else max(version, 0)}
    return {k: v for k, v in values.items() if v is not None}


def write_links(conn: Connection, writes: Sequence[tuple[str, str, dict[str, Any]]], now: datetime) -> None:
    """Upsert `(appointment, peer, values)` rows on `conn`: one statement per set of columns (executemany)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for appointment_id, peer, values in writes:
        groups.setdefault(tuple(values), []).append(
            {"appointment_id": appointment_id, "peer": peer, "updated_at": now, **values})
    postgres = conn.dialect.name == "postgresql"
    for columns, rows in groups.items():
        conn.execute(_upsert(postgres, columns), rows)


@functools.cache
def _upsert(postgres: bool, columns: tuple[str, ...]) -> Insert:
    """The upsert that sets `columns` (and updated_at), built once per combination."""
    insert = postgresql.insert if postgres else sqlite.insert
    stmt = insert(LINKS)
    update: dict[str, Any] = {k: stmt.excluded[k] for k in (*columns, "updated_at")}
    if "last_version" in columns:  # the stored version never goes down
        current, new = LINKS.c.last_version, stmt.excluded.last_version
        update["last_version"] = case((current.is_(None) | (new > current), new), else_=current)
    return stmt.on_conflict_do_update(index_elements=[LINKS.c.appointment_id, LINKS.c.peer], set_=update)
