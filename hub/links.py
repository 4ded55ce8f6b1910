"""The link table: per appointment and peer, the remote id, last applied version and content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.store.db import Database
from hub.store.tables import Link, utcnow


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
            row = s.get(Link, (appointment_id, peer))
            if row is None:
                return None
            return LinkState(row.appointment_id, row.peer, row.remote_id, row.last_version,
                             row.content_hash, row.data)

    def put(self, appointment_id: str, peer: str, *, remote_id: str | None = None,
            version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Record what was applied; the stored version never goes down."""
        with self._db.unit_of_work() as s:
            put_link(s, appointment_id, peer, self._now(), remote_id=remote_id, version=version, hash_=hash_,
                     data=data)

    def for_appointment(self, appointment_id: str) -> list[LinkState]:
        with self._db.reading() as s:
            rows = s.query(Link).filter(Link.appointment_id == appointment_id).order_by(Link.peer).all()
            return [LinkState(r.appointment_id, r.peer, r.remote_id, r.last_version, r.content_hash, r.data)
                    for r in rows]


def put_link(s: Session, appointment_id: str, peer: str, now: datetime, *, remote_id: str | None = None,
             version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
    """`LinkStore.put` inside an open transaction."""
    row = s.get(Link, (appointment_id, peer))
    if row is None:
        row = Link(appointment_id=appointment_id, peer=peer)
        s.add(row)
    if remote_id is not None:
        row.remote_id = remote_id
    if version is not None:
        row.last_version = max(version, row.last_version or 0)
    if hash_ is not None:
        row.content_hash = hash_
    if data is not None:
        row.data = data
    row.updated_at = now
