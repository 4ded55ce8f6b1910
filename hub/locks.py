"""Named leases in the store, so one scheduler (or one worker) does a thing at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Integer, Table, and_, bindparam, delete, exists, func, or_, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.db import Database
from hub.store.tables import Delivery, DeliveryStatus, Lock, utcnow

LOCKS = cast(Table, Lock.__table__)
_DELIVERIES = cast(Table, Delivery.__table__)
#: An appointment's order lock is held by `delivery:<id>` (hub.delivery).
ORDER_HOLDER_PREFIX = "delivery:"


def order_lock_name(group: str, subject: str | None) -> str | None:
    """The order lock of an appointment for a flow's order group (`FlowSpec.order_group`); None without one."""
    return f"order:{group}:{subject}" if subject else None


def order_holder(delivery_id: int) -> str:
    """The holder name of a delivery's order lock."""
    return f"{ORDER_HOLDER_PREFIX}{delivery_id}"

# Built once (bind parameters): a delivery takes and frees an order lock each time.
_RENEW = (update(LOCKS).where(LOCKS.c.name == bindparam("b_name"),
                              (LOCKS.c.expires_at < bindparam("b_now")) | (LOCKS.c.holder == bindparam("b_holder")))
          .values(holder=bindparam("b_holder"), expires_at=bindparam("b_expires")))
_INSERT = {dialect: insert(LOCKS).values(name=bindparam("b_name"), holder=bindparam("b_holder"),
                                         expires_at=bindparam("b_expires")).on_conflict_do_nothing()
           .returning(LOCKS.c.name) for dialect, insert in (("postgresql", postgresql.insert),
                                                             ("sqlite", sqlite.insert))}
#: The holder of an order lock is still open: it was cut off mid-run (its worker died) or waits for the retry of a
#: write that may still land. Its lock has expired, but its writes may have reached the peer: no later delivery
#: of the appointment may overtake it until it has run again (and renewed, then freed, the lock).
HOLDER_OPEN = exists().where(
    _DELIVERIES.c.id == sql_cast(func.substr(LOCKS.c.holder, len(ORDER_HOLDER_PREFIX) + 1), Integer),
    _DELIVERIES.c.status.in_(DeliveryStatus.OPEN))
_RENEW_ORDER = (update(LOCKS).where(LOCKS.c.name == bindparam("b_name"),
                                    or_(LOCKS.c.holder == bindparam("b_holder"),
                                        and_(LOCKS.c.expires_at < bindparam("b_now"), ~HOLDER_OPEN)))
                .values(holder=bindparam("b_holder"), expires_at=bindparam("b_expires")))
_UNLOCK = delete(LOCKS).where(LOCKS.c.name == bindparam("b_name"), LOCKS.c.holder == bindparam("b_holder"))


def try_lock(s: Session, name: str, holder: str, expires: datetime, now: datetime, *, order: bool = False) -> bool:
    """Inside a transaction: take `name` (or renew it for `holder`, or steal it once expired). With `order` (an
    appointment's order lock), an expired one only once its holder is no longer open (`HOLDER_OPEN`)."""
    conn = s.connection()  # Core, not ORM-enabled DML: this runs twice per delivery
    params = {"b_name": name, "b_holder": holder, "b_expires": expires, "b_now": now}
    taken = conn.execute(_RENEW_ORDER if order else _RENEW, params).rowcount
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
