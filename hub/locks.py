"""Named leases in the store, so one scheduler (or one worker) does a thing at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.db import Database
from hub.store.tables import Lock, utcnow


def try_lock(s: Session, name: str, holder: str, expires: datetime, now: datetime) -> bool:
    """Inside a transaction: take `name` (or renew it for `holder`, or steal it once expired)."""
    taken = s.execute(
        update(Lock)
        .where(Lock.name == name, (Lock.expires_at < now) | (Lock.holder == holder))
        .values(holder=holder, expires_at=expires)
    ).rowcount  # type: ignore[attr-defined]
    if taken:
        return True
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT through SQLAlchemy.
    inserted = s.execute(
        insert(Lock).values(name=name, holder=holder, expires_at=expires).on_conflict_do_nothing()
        .returning(Lock.name)
    ).first()
    return inserted is not None


def unlock(s: Session, name: str, holder: str) -> None:
    s.execute(delete(Lock).where(Lock.name == name, Lock.holder == holder))


class LockManager:
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._now = now

    def acquire(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take `name` for `ttl_seconds`, or renew it if `holder` has it; False when someone else holds it."""
        now = self._now()
        with self._db.unit_of_work() as s:
            return try_lock(s, name, holder, now + timedelta(seconds=ttl_seconds), now)

    def release(self, name: str, holder: str) -> None:
        with self._db.unit_of_work() as s:
            unlock(s, name, holder)
