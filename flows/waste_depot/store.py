"""Reads and writes of the gate's tables (hub/store/waste_depot_tables.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from flows.waste_depot import rules
from flows.waste_depot.codes import AMSTERDAM
from hub.store.db import Database
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent, JobState
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


def purge_history(db: Database, scans_before: datetime, visits_before_year: int) -> tuple[int, int]:
    """Drop scans past retention and visits of years that no longer count; returns (scans, visits) dropped."""
    with db.unit_of_work() as s:
        scans = s.execute(delete(WasteDepotScan).where(WasteDepotScan.at < scans_before)
                          .returning(WasteDepotScan.id)).all()
        visits = s.execute(delete(WasteDepotVisit).where(WasteDepotVisit.year < visits_before_year)
                           .returning(WasteDepotVisit.appointment_id)).all()
    return len(scans), len(visits)


def pass_of(s: Session, key: str, year: int) -> rules.Pass | None:
    """The pass with its visits this year (pass list's count plus the hub's recorded visits), or None."""
    row = s.get(WasteDepotPass, key)
    if row is None:
        return None
    recorded = s.scalar(select(func.count()).select_from(WasteDepotVisit).where(
        WasteDepotVisit.pass_key == key, WasteDepotVisit.year == year)) or 0
    return rules.Pass(row.status, row.visits_used + recorded)


_B = cast(Table, WasteDepotBooking.__table__)
_V = cast(Table, WasteDepotVisit.__table__)
_P = cast(Table, WasteDepotPass.__table__)
_S = cast(Table, WasteDepotScan.__table__)
_A = cast(Table, AuditRecord.__table__)
_I = cast(Table, InboxEvent.__table__)
_D = cast(Table, Delivery.__table__)
_Y = _V.alias("year_visits")
_YEAR_VISITS = (select(func.count()).select_from(_Y)
                .where(_Y.c.pass_key == _P.c.pass_key, _Y.c.year == bindparam("year")).scalar_subquery())
#: Everything one scan needs in ONE statement (fixed text, compiled once): booking, visit, pass, visits this year.
_FACTS = (select(_B.c.appointment_id, _B.c.status, _B.c.start, _B.c.end, _B.c.location_id, _B.c.pass_key,
                 _V.c.gate_id, _V.c.allowed_at, _V.c.visits_left, _P.c.pass_key, _P.c.status, _P.c.visits_used,
                 _YEAR_VISITS)
          .select_from(_B.outerjoin(_V, _V.c.appointment_id == _B.c.appointment_id)
                       .outerjoin(_P, _P.c.pass_key == func.coalesce(bindparam("card"), _B.c.pass_key)))
          .where(_B.c.qr_code == bindparam("code")))


def facts(db: Database, code: str, card: str | None, year: int
          ) -> tuple[rules.Booking | None, rules.Visit | None, rules.Pass | None, str | None]:
    """(booking, its visit, the pass with this year's visits, the pass key used) for a scanned code; the pass is
    the scanned one (`card`) or else the one given at booking."""
    with db.reading() as s:
        row = s.execute(_FACTS, {"code": code, "card": card, "year": year}).first()
    if row is None:
        return None, None, None, card
    (appointment_id, status, start, end, location, booked_pass, gate, allowed_at, left, pass_key, pass_status,
     used, recorded) = row
    booking = rules.Booking(appointment_id, status, start, end, location, booked_pass)
    visit = rules.Visit(gate, allowed_at, left) if gate is not None else None
    pass_ = rules.Pass(pass_status, used + (recorded or 0)) if pass_key is not None else None
    return booking, visit, pass_, card or booked_pass


@dataclass(frozen=True)
class _Writes:
    """The dialect's `INSERT … ON CONFLICT DO NOTHING RETURNING` statements, built once."""

    visit: Any
    inbox: Any


_WRITES = {name: _Writes(
    visit=dialect_insert(_V).on_conflict_do_nothing(index_elements=["appointment_id"]).returning(_V.c.appointment_id),
    inbox=dialect_insert(_I).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_I.c.id),
) for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))}
_VISIT_OF = select(_V.c.gate_id, _V.c.allowed_at, _V.c.visits_left).where(
    _V.c.appointment_id == bindparam("appointment_id"))
_NEW_DELIVERY = insert(_D).returning(_D.c.id)
_NEW_SCAN = insert(_S)
_NEW_AUDIT = insert(_A)


@dataclass(frozen=True)
class VisitDelivery:
    """The visit's internal event as an inbox row (its dedupe key per appointment) and the flows it goes to."""

    inbox: dict[str, Any]
    flows: tuple[str, ...]
    now: datetime


def record(db: Database, scan: dict[str, Any], audit: dict[str, Any], visit: dict[str, Any] | None,
           delivery: VisitDelivery | None, on_conflict: Callable[[rules.Visit | None], tuple[str, str]]
           ) -> tuple[tuple[str, str], list[int]]:
    """Visit and its deliveries (if any), scan and audit record in ONE transaction, so a visit is never stored
    without the deliveries that record it at the register. When another scan stored this appointment's visit
    first, `on_conflict(that visit)` gives the (decision, reason) to record instead. Returns what was recorded
    and the delivery ids to enqueue."""
    decision = (scan["decision"], scan["reason"])
    delivery_ids: list[int] = []
    statements = _WRITES[db.backend]
    with db.unit_of_work() as s:
        if visit is not None:
            stored = s.execute(statements.visit, visit).first()
            if stored is None:
                other = s.execute(_VISIT_OF, {"appointment_id": visit["appointment_id"]}).first()
                decision = on_conflict(rules.Visit(*other) if other is not None else None)
            elif delivery is not None:
                inbox_id = s.execute(statements.inbox, delivery.inbox).scalar()
                if inbox_id is not None and delivery.flows:
                    now = delivery.now
                    delivery_ids = list(s.execute(_NEW_DELIVERY, [
                        {"inbox_id": inbox_id, "flow": flow, "status": DeliveryStatus.PENDING, "attempts": 0,
                         "next_attempt_at": now, "created_at": now, "updated_at": now}
                        for flow in delivery.flows]).scalars())
        s.execute(_NEW_SCAN, [{**scan, "decision": decision[0], "reason": decision[1]}])
        s.execute(_NEW_AUDIT, [{**audit, "outcome": decision[0],
                                "references": {**audit["references"], "reason": decision[1]}}])
    return decision, delivery_ids


def record_scans(db: Database, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Scans that create no visit, each with its audit line, in one transaction (the scan log's batches)."""
    with db.unit_of_work() as s:
        s.execute(_NEW_SCAN, [scan for scan, _ in rows])
        s.execute(_NEW_AUDIT, [{**audit, "outcome": scan["decision"],
                                "references": {**audit["references"], "reason": scan["reason"]}}
                               for scan, audit in rows])


def replace_passes(db: Database, keyed: Iterable[tuple[str, str, int]], now: datetime) -> int:
    """Swap the whole pass list for a new one (key, status, visits used), atomically."""
    rows = [{"pass_key": k, "status": st, "visits_used": used, "refreshed_at": now} for k, st, used in keyed]
    with db.unit_of_work() as s:
        s.execute(delete(WasteDepotPass))
        if rows:
            s.execute(insert(WasteDepotPass), rows)
    return len(rows)


def mark_refreshed(db: Database, job: str, at: datetime) -> None:
    """Remember a job's last successful refresh in its watermark (a failed run later leaves it as it is)."""
    with db.unit_of_work() as s:
        row = s.get(JobState, job) or JobState(job=job)
        row.watermark = {**(row.watermark or {}), "refreshedAt": at.isoformat()}
        s.add(row)


def last_refreshed(db: Database, job: str) -> datetime | None:
    with db.reading() as s:
        watermark = s.scalar(select(JobState.watermark).where(JobState.job == job))
    value = (watermark or {}).get("refreshedAt")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


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
