"""Named leases in the store, so one scheduler (or one worker) does a thing at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from hub.store.db import Database
from hub.store.tables import Lock, utcnow


class LockManager:
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._now = now

    def acquire(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take `name` for `ttl_seconds`, or renew it if `holder` has it; False when someone else holds it."""
        now = self._now()
        expires = now + timedelta(seconds=ttl_seconds)
        with self._db.unit_of_work() as s:
            taken = s.execute(
                update(Lock)
                .where(Lock.name == name, (Lock.expires_at < now) | (Lock.holder == holder))
                .values(holder=holder, expires_at=expires)
            ).rowcount  # type: ignore[attr-defined]
            if taken:
                return True
        try:
            with self._db.unit_of_work() as s:
                s.execute(insert(Lock).values(name=name, holder=holder, expires_at=expires))
            return True
        except IntegrityError:
            return False

    def release(self, name: str, holder: str) -> None:
        with self._db.unit_of_work() as s:
            s.execute(delete(Lock).where(Lock.name == name, Lock.holder == holder))
