"""The waste-depot gate's repository: reads and writes of its tables (hub/store/waste_depot_tables.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hub.model import APPOINTMENT_EVENT_PREFIX, AppointmentEvent, parse_event
from hub.store.bulk_insert import SqliteRowsInsert, json_document, json_rows_insert, json_rows_sql
from hub.store.db import Database
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent, JobState
from hub.store.waste_depot_tables import (
    WasteDepotBooking,
    WasteDepotPass,
    WasteDepotScan,
    WasteDepotState,
    WasteDepotVisit,
)
from hub.store.waste_depot_types import Booking, Decide, Decision, Pass, Rules, Visit

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def year_of(at: datetime) -> int:
    """The calendar year in Europe/Amsterdam (a scan at 00:30 on 1 January local counts in the new year)."""
    return at.astimezone(AMSTERDAM).year


def upsert_booking(db: Database, row: WasteDepotBooking) -> bool:
    """Store the booking unless a newer version is already stored; True when written."""
    with db.unit_of_work() as s:
        current = s.get(WasteDepotBooking, row.appointment_id)
        if current is not None and current.version > row.version:
            return False
        row.seq = bump(s)  # the gate index of every process reads it at its next poll
        if current is not None and current.qr_code != row.qr_code:
            s.delete(current)
            s.flush()
            current = None
        if current is None:
            s.add(row)
        else:
            for column in ("version", "status", "start", "end", "location_id", "pass_key", "source", "updated_at",
                           "seq"):
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


def pass_of(s: Session, key: str, year: int) -> Pass | None:
    """The pass with its visits this year (pass list's count plus the hub's recorded visits), or None."""
    row = s.get(WasteDepotPass, key)
    if row is None:
        return None
    recorded = s.scalar(select(func.count()).select_from(WasteDepotVisit).where(
        WasteDepotVisit.pass_key == key, WasteDepotVisit.year == year)) or 0
    return Pass(row.status, row.visits_used + recorded)


_B = cast(Table, WasteDepotBooking.__table__)
_V = cast(Table, WasteDepotVisit.__table__)
_P = cast(Table, WasteDepotPass.__table__)
_S = cast(Table, WasteDepotScan.__table__)
_A = cast(Table, AuditRecord.__table__)
_I = cast(Table, InboxEvent.__table__)
_D = cast(Table, Delivery.__table__)
_STATE = cast(Table, WasteDepotState.__table__)
_BUMP = update(_STATE).where(_STATE.c.id == 1).values(seq=_STATE.c.seq + 1).returning(_STATE.c.seq)
_BUMP_PASSES = update(_STATE).where(_STATE.c.id == 1).values(passes_version=_STATE.c.passes_version + 1)
_BOOKING_COLUMNS = (_B.c.appointment_id, _B.c.status, _B.c.start, _B.c.end, _B.c.location_id, _B.c.pass_key)
_VISIT_COLUMNS = (_V.c.appointment_id, _V.c.gate_id, _V.c.allowed_at, _V.c.visits_left)
_TS = "timestamptz"


class _Insert(Protocol):
    """A batch INSERT of fixed text (hub/store/bulk_insert.py)."""

    def run(self, s: Session, rows: Sequence[Mapping[str, Any]]) -> list[Any]: ...


@dataclass(frozen=True)
class _Writes:
    """The batch INSERTs of the group commit and the scan log, one per table, built once per dialect: fixed
    statement texts (hub/store/bulk_insert.py), nothing compiled per batch."""

    visits: _Insert
    inbox: _Insert
    deliveries: _Insert
    scans: _Insert
    audit: _Insert


#: Each table's written columns with their PostgreSQL types, and the statement's tail.
_TABLES: dict[str, tuple[Table, dict[str, str], str]] = {
    "visits": (_V, {"appointment_id": "text", "pass_key": "text", "year": "int", "gate_id": "text",
                    "allowed_at": _TS, "visits_left": "int", "seq": "bigint"},
               "ON CONFLICT (appointment_id) DO NOTHING RETURNING appointment_id"),
    "inbox": (_I, {"dedupe_key": "text", "source": "text", "event_id": "text", "type": "text", "subject": "text",
                   "version": "int", "payload": "json", "caller": "text", "received_at": _TS, "processed_at": _TS,
                   "purged_at": _TS},
              "ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, id"),
    "deliveries": (_D, {"inbox_id": "int", "flow": "text", "status": "text", "attempts": "int",
                        "next_attempt_at": _TS, "created_at": _TS, "updated_at": _TS},
                   "RETURNING inbox_id, id"),
    "scans": (_S, {"at": _TS, "gate_id": "text", "appointment_id": "text", "pass_key": "text", "decision": "text",
                   "reason": "text"}, ""),
    "audit": (_A, {"at": _TS, "actor": "text", "flow": "text", "action": "text", "purpose": "text",
                   "references": "json", "outcome": "text"}, ""),
}
_WRITES = {
    "sqlite": _Writes(**{name: SqliteRowsInsert(table, tuple(columns), suffix)
                         for name, (table, columns, suffix) in _TABLES.items()}),
    "postgresql": _Writes(**{name: json_rows_insert(table.name, columns, suffix)
                             for name, (table, columns, suffix) in _TABLES.items()}),
}


#: PostgreSQL: a batch's writes in ONE statement (data-modifying CTEs, each over one JSON document): the visits,
#: their inbox rows, the deliveries joined to those rows by dedupe key, the scans and the audit lines. It returns
#: what the visits' and the inbox's ON CONFLICT kept and the deliveries' ids. Five round trips become one.
_DELIVERY_SOURCE = {"dedupe_key": "text", "flow": "text", "status": "text", "attempts": "int",
                    "next_attempt_at": _TS, "created_at": _TS, "updated_at": _TS}
_AT_ONCE = text(
    f"WITH v AS ({json_rows_sql(_V.name, _TABLES['visits'][1], _TABLES['visits'][2], 'visits')}), "
    f"i AS ({json_rows_sql(_I.name, _TABLES['inbox'][1], _TABLES['inbox'][2], 'inbox')}), "
    f'd AS (INSERT INTO "{_D.name}" ("inbox_id", "flow", "status", "attempts", "next_attempt_at", "created_at", '
    f'"updated_at") SELECT i.id, r."flow", r."status", r."attempts", r."next_attempt_at", r."created_at", '
    f'r."updated_at" FROM json_to_recordset(CAST(:deliveries AS json)) AS r('
    + ", ".join(f'"{c}" {t}' for c, t in _DELIVERY_SOURCE.items())
    + ') JOIN i ON i.dedupe_key = r."dedupe_key" RETURNING inbox_id, id), '
    f"s AS ({json_rows_sql(_S.name, _TABLES['scans'][1], '', 'scans')}), "
    f"a AS ({json_rows_sql(_A.name, _TABLES['audit'][1], '', 'audit')}) "
    "SELECT 'visit', v.appointment_id, CAST(NULL AS bigint), CAST(NULL AS bigint) FROM v "
    "UNION ALL SELECT 'inbox', i.dedupe_key, i.id, NULL FROM i "
    "UNION ALL SELECT 'delivery', NULL, d.inbox_id, d.id FROM d")


def bump(s: Session) -> int:
    """The next change number, taken inside the caller's transaction: the state row's lock orders concurrent
    writers, so a transaction with a larger number commits after every one with a smaller number."""
    seq = s.execute(_BUMP).scalar()
    if seq is None:  # a store emptied after its migration (the row is the migration's): put it back
        dialect_insert = sqlite_insert if s.get_bind().dialect.name == "sqlite" else postgresql_insert
        s.execute(dialect_insert(_STATE).values(id=1, seq=0, passes_version=0).on_conflict_do_nothing())
        seq = s.execute(_BUMP).scalar_one()
    return int(seq)


# --- what each process's gate index reads (flows/waste_depot/index.py) ---------------------------------------

_STATE_ROW = select(_STATE.c.seq, _STATE.c.passes_version).where(_STATE.c.id == 1)


def state(s: Session) -> tuple[int, int]:
    """(change sequence, pass list version); (0, 0) before anything was written."""
    row = s.execute(_STATE_ROW).first()
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)



class StateReader:
    """`read()`: (change sequence, pass list version) over ONE connection kept between reads. The gate index
    polls it 20 times a second in every serving process; a session and a pool checkout per poll cost several
    times the read itself (~10 ms of CPU per second on either store). A failed read drops the connection; the
    next read opens a new one. An in-memory SQLite store is read through `Database.reading()`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Connection | None = None

    def read(self) -> tuple[int, int]:
        engine = self._db.reader_engine()
        if engine is None:
            with self._db.reading() as s:
                return state(s)
        if self._conn is None:
            self._conn = engine.connect()
        try:
            row = self._conn.execute(_STATE_ROW).first()
            self._conn.rollback()  # SQLite: the read snapshot ends, so the next read sees newer commits
        except Exception:
            self.close()
            raise
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    def close(self) -> None:
        """Return the kept connection (a broken one is discarded by its pool)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: S110 - a connection that failed already; nothing is left to release
                pass


def bookings_since(s: Session, seq: int) -> list[tuple[Booking, str]]:
    """Bookings written after change `seq`, with their codes."""
    rows = s.execute(select(*_BOOKING_COLUMNS, _B.c.qr_code).where(_B.c.seq > seq)).all()
    return [(Booking(*r[:6]), r[6]) for r in rows]


def visits_since(s: Session, seq: int) -> list[tuple[str, Visit, str, int]]:
    """Visits written after change `seq`: (appointment, visit, pass key, year)."""
    rows = s.execute(select(*_VISIT_COLUMNS, _V.c.pass_key, _V.c.year).where(_V.c.seq > seq)).all()
    return [(r[0], Visit(r[1], r[2], r[3]), r[4], r[5]) for r in rows]


def all_passes(s: Session) -> dict[str, tuple[str, int]]:
    """The whole pass list: {pass key: (status, visits used elsewhere this year)}."""
    return {k: (st, used) for k, st, used in s.execute(select(_P.c.pass_key, _P.c.status, _P.c.visits_used))}


# --- the group commit of first scans (flows/waste_depot/admit.py) --------------------------------------------

@dataclass(frozen=True)
class VisitDelivery:
    """The visit's internal event as an inbox row (its dedupe key per appointment) and the flows it goes to."""

    inbox: dict[str, Any]
    flows: tuple[str, ...]
    now: datetime


@dataclass(frozen=True)
class FirstScan:
    """A scan the gate index would admit as a new visit; the store decides it again in the batch."""

    appointment_id: str
    gate_id: str
    gate_location: str
    card: str | None  # the scanned pass's key; None: the pass given at booking
    at: datetime
    year: int


@dataclass(frozen=True)
class Admitted:
    """What the batch decided for one first scan, on the store's rows at commit time."""

    decision: Decision
    card: str | None
    visit: Visit | None  # the visit stored for it (new, or the one another scan stored first)
    pass_key: str | None
    delivery_ids: tuple[int, ...] = ()


def admit(db: Database, scans: Sequence[FirstScan], rule: Rules, delivery_of: Callable[[FirstScan], VisitDelivery],
          audit_of: Callable[[FirstScan, str | None], dict[str, Any]], decide: Decide) -> tuple[int, list[Admitted]]:
    """Decide a batch of first scans again on the store's current booking, visit, pass and this year's visits, and
    store the new visits, their deliveries, every scan and its audit line in ONE transaction (group commit: one
    commit for the batch; each gate is answered after it). A visit is at most one per appointment (its primary
    key); on PostgreSQL the pass rows are locked, so two processes cannot both spend a pass's last free visit.
    `decide` is the gate's rule (flows.waste_depot.rules.decide). Returns the change number stamped on the new
    visits and one result per scan, in order."""
    try:
        with db.unit_of_work() as s:
            return _admit_in(s, db.backend, scans, rule, delivery_of, audit_of, decide,
                             at_once=db.backend == "postgresql")
    except _Lost:  # rolled back: decided again, statement by statement, on what the other writer stored
        with db.unit_of_work() as s:
            return _admit_in(s, db.backend, scans, rule, delivery_of, audit_of, decide)


class _RollBack(Exception):
    """Ends the warm-up's transaction without a commit."""


class _Lost(Exception):
    """A visit of the batch was stored by another writer first: its writes in one statement are rolled back."""


def warm_up(db: Database, scan: FirstScan, rule: Rules, delivery_of: Callable[[FirstScan], VisitDelivery],
            audit_of: Callable[[FirstScan, str | None], dict[str, Any]], decide: Decide) -> None:
    """Run the group commit once for `scan` (of no booking) and every INSERT on no rows, in a transaction that is
    rolled back: nothing stays, but the statements are compiled and the pool's connection is open before the
    first scans after start-up (a cold first burst of 50 took ~3x a warm one on PostgreSQL)."""
    writes = _WRITES[db.backend]
    try:
        with db.unit_of_work() as s:
            _admit_in(s, db.backend, [scan], rule, delivery_of, audit_of, decide,
                      at_once=db.backend == "postgresql")
            for insert in (writes.visits, writes.inbox, writes.deliveries):
                insert.run(s, [])
            raise _RollBack
    except _RollBack:
        pass


def _among(column: ColumnElement[Any], values: Iterable[Any], backend: str) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`: one statement text whatever the batch's size,
    which psycopg caches and prepares. An IN list is rendered by SQLAlchemy and parsed by psycopg at every
    execution (in a profile of 50-scan batches, ~15 % of the writer's CPU)."""
    found = list(values)
    if backend == "postgresql":
        return column == any_(bindparam(None, found, type_=postgresql.ARRAY(column.type)))
    return column.in_(found)


def _admit_in(s: Session, backend: str, scans: Sequence[FirstScan], rule: Rules,
              delivery_of: Callable[[FirstScan], VisitDelivery],
              audit_of: Callable[[FirstScan, str | None], dict[str, Any]],
              decide: Decide, *, at_once: bool = False) -> tuple[int, list[Admitted]]:
    """`admit` inside the transaction `s`; `at_once`: the writes in one statement (PostgreSQL), `_Lost` raised
    when a visit turns out stored already."""
    ids = sorted({x.appointment_id for x in scans})
    writes = _WRITES[backend]
    seq = bump(s)
    rows = s.execute(select(*_BOOKING_COLUMNS, _B.c.version).where(_among(_B.c.appointment_id, ids, backend))).all()
    bookings = {r[0]: Booking(*r[:6]) for r in rows}
    bookings.update(_moved_or_changed(s, {r[0]: (r[6], r[5]) for r in rows}, backend))
    visits = {r[0]: Visit(*r[1:]) for r in s.execute(select(*_VISIT_COLUMNS).where(
        _among(_V.c.appointment_id, ids, backend)))}
    cards = {x.card or (bookings[x.appointment_id].pass_key if x.appointment_id in bookings else None)
             for x in scans} - {None}
    passes_q = select(_P.c.pass_key, _P.c.status, _P.c.visits_used).where(_among(_P.c.pass_key, cards, backend))
    passes = {r[0]: (r[1], r[2]) for r in s.execute(
        passes_q.with_for_update() if backend == "postgresql" else passes_q)}
    years = {x.year for x in scans}
    used: Counter[tuple[str, int]] = Counter({(k, y): n for k, y, n in s.execute(
        select(_V.c.pass_key, _V.c.year, func.count()).where(_among(_V.c.pass_key, cards, backend),
                                                                  _among(_V.c.year, years, backend))
        .group_by(_V.c.pass_key, _V.c.year))})
    results: list[Admitted] = []
    new_visits: dict[str, dict[str, Any]] = {}
    for x in scans:
        booking = bookings.get(x.appointment_id)
        card = x.card or (booking.pass_key if booking else None)
        found = passes.get(card) if card else None
        pass_ = Pass(found[0], found[1] + used[(card, x.year)]) if found and card else None
        decision = decide(now=x.at, gate_id=x.gate_id, gate_location=x.gate_location, booking=booking,
                          visit=visits.get(x.appointment_id), pass_=pass_, rules=rule)
        if decision.new_visit and card is not None and decision.visits_left is not None:
            visit = Visit(x.gate_id, x.at, decision.visits_left)
            visits[x.appointment_id] = visit
            used[(card, x.year)] += 1
            new_visits[x.appointment_id] = {"appointment_id": x.appointment_id, "pass_key": card, "year": x.year,
                                            "gate_id": x.gate_id, "allowed_at": x.at,
                                            "visits_left": decision.visits_left, "seq": seq}
        results.append(Admitted(decision, card, visits.get(x.appointment_id), card))
    if at_once:
        return seq, _write_at_once(s, scans, results, new_visits, delivery_of, audit_of)
    if new_visits:
        stored = {r[0] for r in writes.visits.run(s, list(new_visits.values()))}
        lost = set(new_visits) - stored  # PostgreSQL: another process's scan committed this visit first
        if lost:
            theirs = {r[0]: Visit(*r[1:]) for r in s.execute(select(*_VISIT_COLUMNS).where(
                _V.c.appointment_id.in_(lost)))}
            results = [_against(r, x, theirs.get(x.appointment_id), rule)
                       if x.appointment_id in lost and r.decision.new_visit else r
                       for r, x in zip(results, scans, strict=True)]
        results = _deliver(s, writes, scans, results, stored, delivery_of)
    writes.scans.run(s, _scan_rows(scans, results))
    writes.audit.run(s, _audit_rows(scans, results, audit_of))
    return seq, results


def _scan_rows(scans: Sequence[FirstScan], results: Sequence[Admitted]) -> list[dict[str, Any]]:
    """The batch's scan rows, one per scan as decided."""
    return [{"at": x.at, "gate_id": x.gate_id, "appointment_id": x.appointment_id, "pass_key": r.card,
             "decision": "allow" if r.decision.allow else "deny", "reason": r.decision.reason}
            for x, r in zip(scans, results, strict=True)]


def _audit_rows(scans: Sequence[FirstScan], results: Sequence[Admitted],
                audit_of: Callable[[FirstScan, str | None], dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch's audit lines, one per scan with its outcome."""
    return [_with_outcome(audit_of(x, r.card), "allow" if r.decision.allow else "deny", r.decision.reason)
            for x, r in zip(scans, results, strict=True)]


def _write_at_once(s: Session, scans: Sequence[FirstScan], results: list[Admitted],
                   new_visits: dict[str, dict[str, Any]], delivery_of: Callable[[FirstScan], VisitDelivery],
                   audit_of: Callable[[FirstScan, str | None], dict[str, Any]]) -> list[Admitted]:
    """The batch's writes as `_AT_ONCE` (PostgreSQL); `_Lost` when a new visit was not stored (ON CONFLICT)."""
    firsts = _firsts(scans, results, new_visits, delivery_of)
    deliveries = [{"dedupe_key": d.inbox["dedupe_key"], "flow": flow, "status": DeliveryStatus.PENDING,
                   "attempts": 0, "next_attempt_at": d.now, "created_at": d.now, "updated_at": d.now}
                  for _, d in firsts.values() for flow in d.flows]
    documents = {
        "visits": json_document(list(new_visits.values()), tuple(_TABLES["visits"][1])),
        "inbox": json_document([d.inbox for _, d in firsts.values()], tuple(_TABLES["inbox"][1])),
        "deliveries": json_document(deliveries, tuple(_DELIVERY_SOURCE)),
        "scans": json_document(_scan_rows(scans, results), tuple(_TABLES["scans"][1])),
        "audit": json_document(_audit_rows(scans, results, audit_of), tuple(_TABLES["audit"][1]))}
    stored: set[str] = set()
    inbox_ids: dict[str, int] = {}
    by_inbox: dict[int, list[int]] = {}
    for kind, key, first, second in s.execute(_AT_ONCE, documents):
        if kind == "visit":
            stored.add(key)
        elif kind == "inbox":
            inbox_ids[key] = first
        else:
            by_inbox.setdefault(first, []).append(second)
    if stored != set(new_visits):
        raise _Lost
    return _with_deliveries(results, firsts, inbox_ids, by_inbox)


def _moved_or_changed(s: Session, stored: dict[str, tuple[int, str | None]], backend: str) -> dict[str, Booking]:
    """Bookings whose appointment has a newer snapshot in the inbox than the stored one, as that snapshot says.
    The bookings flow only takes events AT a waste-depot location (decided at intake from the event alone), so
    an appointment moved away, or any event not yet processed, is read here: an admission is decided on the
    newest snapshot the hub has received."""
    if not stored:
        return {}
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    for subject, version, payload in s.execute(
            select(_I.c.subject, _I.c.version, _I.c.payload).where(
                _among(_I.c.subject, stored, backend), _I.c.version.is_not(None),
                _I.c.type.startswith(APPOINTMENT_EVENT_PREFIX))):
        if version > stored[subject][0] and version > newest.get(subject, (0, {}))[0]:
            newest[subject] = (version, payload)
    found: dict[str, Booking] = {}
    for subject, (_, payload) in newest.items():
        event = parse_event(payload)
        if isinstance(event, AppointmentEvent):
            a = event.data
            found[subject] = Booking(subject, a.status.value, a.start, a.end, a.location.id, stored[subject][1])
    return found


def _against(result: Admitted, scan: FirstScan, other: Visit | None, rule: Rules) -> Admitted:
    """Another scan stored the visit first: the same gate within the retry window gets its allow."""
    if other is not None and other.gate_id == scan.gate_id and scan.at - other.allowed_at <= rule.retry_window:
        return Admitted(Decision(True, "ok", visits_left=other.visits_left), result.card, other, result.card)
    return Admitted(Decision(False, "already-used"), result.card, other, result.card)


def _firsts(scans: Sequence[FirstScan], results: Sequence[Admitted], stored: Iterable[str],
            delivery_of: Callable[[FirstScan], VisitDelivery]) -> dict[str, tuple[int, VisitDelivery]]:
    """{appointment: (index of the scan that stored its visit, the visit's delivery)}."""
    return {x.appointment_id: (i, delivery_of(x)) for i, (x, r) in enumerate(zip(scans, results, strict=True))
            if x.appointment_id in stored and r.decision.new_visit}


def _with_deliveries(results: list[Admitted], firsts: dict[str, tuple[int, VisitDelivery]],
                     inbox_ids: dict[str, int], by_inbox: dict[int, list[int]]) -> list[Admitted]:
    """The results, each visit's scan with the ids of the deliveries stored for it."""
    out = list(results)
    for i, d in firsts.values():
        ids = by_inbox.get(inbox_ids.get(d.inbox["dedupe_key"], -1), [])
        out[i] = Admitted(out[i].decision, out[i].card, out[i].visit, out[i].pass_key, tuple(sorted(ids)))
    return out


def _deliver(s: Session, writes: _Writes, scans: Sequence[FirstScan], results: list[Admitted], stored: set[str],
             delivery_of: Callable[[FirstScan], VisitDelivery]) -> list[Admitted]:
    """The inbox row and deliveries of each stored visit (the first scan of it in the batch): two statements."""
    firsts = _firsts(scans, results, stored, delivery_of)
    if not firsts:
        return results
    inbox_ids = {k: v for k, v in writes.inbox.run(s, [d.inbox for _, d in firsts.values()])}
    rows = [{"inbox_id": inbox_ids[d.inbox["dedupe_key"]], "flow": flow, "status": DeliveryStatus.PENDING,
             "attempts": 0, "next_attempt_at": d.now, "created_at": d.now, "updated_at": d.now}
            for _, d in firsts.values() if d.inbox["dedupe_key"] in inbox_ids for flow in d.flows]
    by_inbox: dict[int, list[int]] = {}
    for inbox_id, delivery_id in (writes.deliveries.run(s, rows) if rows else []):
        by_inbox.setdefault(inbox_id, []).append(delivery_id)
    return _with_deliveries(results, firsts, inbox_ids, by_inbox)


def record_scans(db: Database, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Scans that create no visit, each with its audit line, in one transaction (the scan log's batches)."""
    writes = _WRITES[db.backend]
    with db.unit_of_work() as s:
        writes.scans.run(s, [scan for scan, _ in rows])
        writes.audit.run(s, [_with_outcome(audit, scan["decision"], scan["reason"]) for scan, audit in rows])


def _with_outcome(audit: dict[str, Any], outcome: str, reason: str) -> dict[str, Any]:
    """A scan's audit line with its decision and reason."""
    return {**audit, "outcome": outcome, "references": {**audit["references"], "reason": reason}}


def replace_passes(db: Database, keyed: Iterable[tuple[str, str, int]], now: datetime) -> int:
    """Swap the whole pass list for a new one (key, status, visits used), atomically."""
    rows = [{"pass_key": k, "status": st, "visits_used": used, "refreshed_at": now} for k, st, used in keyed]
    with db.unit_of_work() as s:
        s.execute(delete(WasteDepotPass))
        if rows:
            s.execute(insert(WasteDepotPass), rows)
        if cast(CursorResult[Any], s.execute(_BUMP_PASSES)).rowcount == 0:  # every gate index reloads the list
            bump(s)
            s.execute(_BUMP_PASSES)
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


def booking_code(db: Database, appointment_id: str) -> str | None:
    """The stored booking's QR code, or None before its event is processed."""
    with db.reading() as s:
        return s.scalar(select(WasteDepotBooking.qr_code).where(WasteDepotBooking.appointment_id == appointment_id))


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
