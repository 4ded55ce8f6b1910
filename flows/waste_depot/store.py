"""Reads and writes of the gate's tables (hub/store/waste_depot_tables.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from flows.waste_depot import rules
from flows.waste_depot.codes import AMSTERDAM
from hub.store.db import Database
from hub.store.tables import AuditRecord
from hub.store.waste_depot_tables import WasteDepotBooking, WasteDepotPass, WasteDepotScan, WasteDepotVisit

PURPOSE = "admit customers with a booked appointment and a valid pass to the waste depot"


def year_of(at: datetime) -> int:
    """The calendar year in Europe/Amsterdam (a scan at 00:30 on 1 January local counts in the new year)."""
    return at.astimezone(AMSTERDAM).year


def upsert_booking(db: Database, row: WasteDepotBooking) -> bool:
    """Store the booking unless a newer version is already stored; True when written."""
    with db.unit_of_work() as s:
        current = s.get(WasteDepotBooking, row.appointment_id)
        if current is not None and current.version > row.version:
            return False
        if current is not None and current.qr_code != row.qr_code:
            s.delete(current)
            s.flush()
            current = None
        if current is None:
            s.add(row)
        else:
            for column in ("version", "status", "start", "end", "location_id", "pass_key", "source", "updated_at"):
                setattr(current, column, getattr(row, column))
    return True


def purge_bookings(db: Database, before: datetime) -> int:
    """Drop bookings that ended before `before`; their visits stay (they count towards the year)."""
    with db.unit_of_work() as s:
        gone = s.execute(delete(WasteDepotBooking).where(WasteDepotBooking.end < before)
                         .returning(WasteDepotBooking.appointment_id)).all()
    return len(gone)


def booking_by_code(s: Session, code: str) -> rules.Booking | None:
    row = s.execute(select(WasteDepotBooking).where(WasteDepotBooking.qr_code == code)).scalar_one_or_none()
    if row is None:
        return None
    return rules.Booking(row.appointment_id, row.status, row.start, row.end, row.location_id, row.pass_key)


def visit_of(s: Session, appointment_id: str) -> rules.Visit | None:
    row = s.get(WasteDepotVisit, appointment_id)
    return None if row is None else rules.Visit(row.gate_id, row.allowed_at, row.visits_left)


def pass_of(s: Session, key: str, year: int) -> rules.Pass | None:
    """The pass with its visits this year (pass list's count plus the hub's recorded visits), or None."""
    row = s.get(WasteDepotPass, key)
    if row is None:
        return None
    recorded = s.scalar(select(func.count()).select_from(WasteDepotVisit).where(
        WasteDepotVisit.pass_key == key, WasteDepotVisit.year == year)) or 0
    return rules.Pass(row.status, row.visits_used + recorded)


def insert_visit(db: Database, visit: WasteDepotVisit) -> bool:
    """Record the allowed visit; False when another scan recorded one for this appointment first."""
    values = {c: getattr(visit, c) for c in ("appointment_id", "pass_key", "year", "gate_id", "allowed_at",
                                             "visits_left")}
    dialect_insert = sqlite_insert if db.backend == "sqlite" else postgresql_insert
    statement = dialect_insert(WasteDepotVisit).values(**values).on_conflict_do_nothing(
        index_elements=["appointment_id"]).returning(WasteDepotVisit.appointment_id)
    with db.one_statement() as s:  # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT
        return s.execute(statement).first() is not None


def record_scan(db: Database, scan: WasteDepotScan, audit: AuditRecord) -> None:
    """The scan and its audit record in one transaction."""
    with db.unit_of_work() as s:
        s.add(scan)
        s.add(audit)


def replace_passes(db: Database, keyed: Iterable[tuple[str, str, int]], now: datetime) -> int:
    """Swap the whole pass list for a new one (key, status, visits used), atomically."""
    rows = [{"pass_key": k, "status": st, "visits_used": used, "refreshed_at": now} for k, st, used in keyed]
    with db.unit_of_work() as s:
        s.execute(delete(WasteDepotPass))
        if rows:
            s.execute(insert(WasteDepotPass), rows)
    return len(rows)


@dataclass(frozen=True)
class ScanRow:
    """One scan as the console lists it: no pass number, no name."""

    at: datetime
    gate_id: str
    appointment_id: str | None
    decision: str
    reason: str


def scans_since(db: Database, since: datetime, limit: int = 500) -> list[ScanRow]:
    """The newest scans first."""
    t = WasteDepotScan
    with db.reading() as s:
        rows = s.execute(select(t.at, t.gate_id, t.appointment_id, t.decision, t.reason).where(t.at >= since)
                         .order_by(t.at.desc(), t.id.desc()).limit(limit)).all()
    return [ScanRow(*row) for row in rows]


def counts(db: Database) -> tuple[int, int, datetime | None]:
    """(bookings, passes, newest booking change)."""
    with db.reading() as s:
        bookings = s.scalar(select(func.count()).select_from(WasteDepotBooking)) or 0
        passes = s.scalar(select(func.count()).select_from(WasteDepotPass)) or 0
        newest = s.scalar(select(func.max(WasteDepotBooking.updated_at)))
    return bookings, passes, newest


def local_day_start(at: datetime, days: int = 0) -> datetime:
    """Midnight in Europe/Amsterdam of the day `days` after `at`'s local day (23 or 25 hours on DST days)."""
    local = at.astimezone(AMSTERDAM).date() + timedelta(days=days)
    return datetime(local.year, local.month, local.day, tzinfo=AMSTERDAM).astimezone(UTC)
