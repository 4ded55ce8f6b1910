"""Named leases in the store, so one scheduler (or one worker) does a thing at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.db import Database
from hub.store.tables import Lock, utcnow

LOCKS = cast(Table, Lock.__table__)
# Built once (bind parameters): a delivery takes and frees an order lock each time.
_RENEW = (update(LOCKS).where(LOCKS.c.name == bindparam("b_name"),
                              (LOCKS.c.expires_at < bindparam("b_now")) | (LOCKS.c.holder == bindparam("b_holder")))
          .values(holder=bindparam("b_holder"), expires_at=bindparam("b_expires")))
_INSERT = {dialect: insert(LOCKS).values(name=bindparam("b_name"), holder=bindparam("b_holder"),
                                         expires_at=bindparam("b_expires")).on_conflict_do_nothing()
           .returning(LOCKS.c.name) for dialect, insert in (("postgresql", postgresql.insert),
                                                             ("sqlite", sqlite.insert))}
_UNLOCK = delete(LOCKS).where(LOCKS.c.name == bindparam("b_name"), LOCKS.c.holder == bindparam("b_holder"))


def try_lock(s: Session, name: str, holder: str, expires: datetime, now: datetime) -> bool:
    """Inside a transaction: take `name` (or renew it for `holder`, or steal it once expired)."""
    conn = s.connection()  # Core, not ORM-enabled DML: this runs twice per delivery
    params = {"b_name": name, "b_holder": holder, "b_expires": expires, "b_now": now}
    taken = conn.execute(_RENEW, params).rowcount
    if taken:
        return True
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT through SQLAlchemy.
    insert = _INSERT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    inserted = conn.execute(insert, params).first()
    return inserted is not None


def unlock(s: Session, name: str, holder: str) -> None:
    s.connection().execute(_UNLOCK, {"b_name": name, "b_holder": holder})


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
