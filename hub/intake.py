"""Durable intake: persist inbox rows and their deliveries in one unit of work, dedupe by key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import structlog
from sqlalchemy import Table, select, text
from sqlalchemy.exc import IntegrityError

from hub.model import AppointmentEvent, CloudEvent
from hub.registry import FlowRegistry
from hub.routing import EventRoutes

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.tracing import EventTrace
from hub.store.db import Database
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent, utcnow

log = structlog.get_logger("afsprakenhub.intake")


def hashed_key(dedupe_key: str) -> str:
    return hashlib.sha256(dedupe_key.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    """One request's events for `Intake.accept_together` (the arguments of `Intake.accept`)."""

    events: Sequence[CloudEvent]
    caller: str
    dedupe_keys: Sequence[str] | None = None
    received: Sequence[dict[str, Any]] | None = None
    traces: Sequence[EventTrace] | None = None


@dataclass(frozen=True)
class Accepted:
    """The answer for one event: its id, whether we had it already, and what to enqueue."""

    event_id: str
    inbox_id: int
    duplicate: bool
    delivery_ids: tuple[int, ...] = ()


class Intake:
    def __init__(self, db: Database, registry: FlowRegistry, now: Callable[[], datetime] = utcnow,
                 hub: Hub | None = None, routes: Mapping[str, Sequence[str]] | None = None) -> None:
        self._db = db
        self._registry = registry
        self._now = now
        self._hub = hub  # what a flow's `wants` predicate reads (settings, store)
        self.routes = EventRoutes(registry, routes or {})

    def accept(self, events: Sequence[CloudEvent], caller: str,
               dedupe_keys: Sequence[str] | None = None,
               received: Sequence[dict[str, Any]] | None = None,
               traces: Sequence[EventTrace] | None = None) -> list[Accepted]:
        """Store the events not seen before (and one delivery per consuming flow), all or nothing.

        `dedupe_keys` overrides the CloudEvent `source`+`id` key (ZGW messages use a content hash).
        `received` is what the producer sent, one structured CloudEvent per event: stored as it came, so a
        trace or a replay shows the producer's own words (without it, the parsed event is serialised).
        `traces` is each event's trace context (`hub.tracing.IntakeSpans`), kept for its deliveries.
        """
        [accepted] = self.accept_together([Submission(events, caller, dedupe_keys, received, traces)])
        return accepted

    def accept_together(self, submissions: Sequence[Submission]) -> list[list[Accepted]]:
        """`accept` for several requests in ONE transaction (group commit): all are stored or none is; an
        event repeated across them is stored once and the later ones are duplicates. One list per submission."""
        events: list[CloudEvent] = []
        keys: list[str] = []
        callers: list[str] = []
        payloads: list[dict[str, Any]] = []
        trace_list: list[EventTrace | None] = []
        for sub in submissions:
            events += sub.events
            keys += [hashed_key(k) for k in (sub.dedupe_keys or [e.dedupe_key for e in sub.events])]
            callers += [sub.caller] * len(sub.events)
            payloads += list(sub.received) if sub.received is not None else [e.model_dump(mode="json")
                                                                             for e in sub.events]
            trace_list += list(sub.traces) if sub.traces is not None else [None] * len(sub.events)
        for attempt in range(3):
            try:
                flat = self._accept_once(events, keys, callers, payloads, trace_list)
                break
            except IntegrityError:
                # A concurrent request stored one of these keys first; the next pass sees it.
                if attempt == 2:
                    raise
        results: list[list[Accepted]] = []
        for sub in submissions:
            results.append(flat[:len(sub.events)])
            flat = flat[len(sub.events):]
        return results

    def _accept_once(self, events: Sequence[CloudEvent], keys: list[str], callers: list[str],
                     payloads: list[dict[str, Any]], traces: list[EventTrace | None]) -> list[Accepted]:
        """Store the new events and their deliveries atomically, whatever the batch size: insert the inbox
        rows, skipping keys already stored (RETURNING the new ids), and their deliveries (RETURNING theirs).
        Only when a key was there already does another statement look its id up."""
        now = self._now()
        fresh: dict[str, tuple[CloudEvent, tuple[str, ...], dict[str, Any]]] = {}
        trace_of: dict[str, EventTrace | None] = {}
        caller_of: dict[str, str] = {}
        for event, key, payload, trace, caller in zip(events, keys, payloads, traces, callers, strict=True):
            if key not in fresh:
                fresh[key] = (event, self.routes.flows_for_event(event, self._hub), payload)
                trace_of[key] = trace
                caller_of[key] = caller
        # An appointment event is about `data.id`, with or without `subject`: that id takes the order lock
        # and the stale-snapshot guard, so a producer leaving `subject` out cannot bypass either.
        rows = [{
            "dedupe_key": key, "source": event.source, "event_id": event.id, "type": event.type,
            "subject": event.appointment_id if isinstance(event, AppointmentEvent) else event.subject,
            "version": event.data.version if isinstance(event, AppointmentEvent) else None,
            "payload": payload, "caller": caller_of[key], "received_at": now,
            "purged_at": None, "processed_at": None if flows else now,
            **_trace_columns(trace_of[key]),
        } for key, (event, flows, payload) in fresh.items()]
        for _, (event, flows, _) in fresh.items():
            if not flows:
                log.warning("intake.unrouted", type=event.type[:200],
                            hint="no flow consumes this type; add it to AFSPRAKENHUB_EVENT_ROUTES")
        pairs = [(key, flow) for key, (_, flows, _) in fresh.items() for flow in flows]
        if self._db.backend == "postgresql":
            new_ids, delivery_ids = self._store_in_one_statement(rows, pairs, now)
        else:
            new_ids, delivery_ids = self._store(rows, pairs, now)
        known = [key for key in fresh if key not in new_ids]
        old_ids: dict[str, int] = {}
        if known:
            with self._db.reading() as s:
                old_ids = dict(s.execute(
                    select(INBOX.c.dedupe_key, INBOX.c.id).where(INBOX.c.dedupe_key.in_(known))).all())
        results: list[Accepted] = []
        for event, key in zip(events, keys, strict=True):
            if key in new_ids and new_ids[key] in delivery_ids:  # the first of any repeats in the batch
                inbox_id = new_ids[key]
                results.append(Accepted(event.id, inbox_id, False, tuple(sorted(delivery_ids.pop(inbox_id)))))
            else:
                results.append(Accepted(event.id, new_ids.get(key) or old_ids[key], duplicate=True))
        return results


    def _store(self, rows: list[dict[str, Any]], pairs: list[tuple[str, str]], now: datetime
               ) -> tuple[dict[str, int], dict[int, list[int]]]:
        """SQLite: two statements in one transaction, the new inbox rows (a key stored before is skipped) and
        their deliveries. Each is a multi-row INSERT … RETURNING of fixed text per row count, run as driver SQL
        (errors still wrapped by SQLAlchemy, so a locked store is the 503) with values bound here by the columns'
        own type processors: nothing to compile, `now` processed once."""
        bind = _sqlite_binds(self._db.engine.dialect)
        at, pending = bind.time(now), DeliveryStatus.PENDING
        new_ids: dict[str, int] = {}
        delivery_ids: dict[int, list[int]] = {}
        with self._db.unit_of_work() as s:
            conn = s.connection()
            for start in range(0, len(rows), _SQLITE_ROWS):
                some_rows = rows[start:start + _SQLITE_ROWS]
                values = [v for r in some_rows for v in (
                    r["dedupe_key"], r["source"], r["event_id"], r["type"], r["subject"], r["version"],
                    bind.payload(r["payload"]), r["caller"], at, at if r["processed_at"] else None,
                    r["traceparent"], r["tracestate"], r["caller_traceparent"])]
                new_ids.update(conn.exec_driver_sql(_sqlite_insert_inbox(len(some_rows)), tuple(values)).all())
            delivery_ids = {inbox_id: [] for inbox_id in new_ids.values()}
            wanted = [(new_ids[key], flow) for key, flow in pairs if key in new_ids]
            for start in range(0, len(wanted), _SQLITE_ROWS):
                some = wanted[start:start + _SQLITE_ROWS]
                values = [v for inbox_id, flow in some for v in (inbox_id, flow, pending, at, at, at)]
                for inbox_id, delivery_id in conn.exec_driver_sql(_sqlite_insert_deliveries(len(some)), tuple(values)):
                    delivery_ids[inbox_id].append(delivery_id)
        return new_ids, delivery_ids

    def _store_in_one_statement(self, rows: list[dict[str, Any]], pairs: list[tuple[str, str]], now: datetime
                                ) -> tuple[dict[str, int], dict[int, list[int]]]:
        """PostgreSQL: inbox rows and deliveries in ONE statement (data-modifying CTEs over arrays), run in
        autocommit — one round trip, committed (and durable) when it answers, instead of BEGIN, two INSERTs
        and COMMIT. Fixed SQL text whatever the batch: nothing to compile per request."""
        columns = {name: [r[name] for r in rows] for name in ("dedupe_key", "source", "event_id", "type", "subject",
                                                              "version", "caller", "processed_at", "traceparent",
                                                              "tracestate", "caller_traceparent")}
        params = {**columns, "payload": [json.dumps(r["payload"]) for r in rows], "now": now.astimezone(UTC),
                  "processed_at": [v.astimezone(UTC) if v else None for v in columns["processed_at"]],
                  "wanted_key": [k for k, _ in pairs], "wanted_flow": [f for _, f in pairs],
                  "pending": DeliveryStatus.PENDING}
        new_ids: dict[str, int] = {}
        delivery_ids: dict[int, list[int]] = {}
        with self._db.one_statement() as s:
            result = s.execute(_ONE_STATEMENT, params)
            for key, inbox_id, delivery_id in result:
                new_ids[key] = inbox_id
                delivery_ids.setdefault(inbox_id, [])
                if delivery_id is not None:
                    delivery_ids[inbox_id].append(delivery_id)
        return new_ids, delivery_ids


_ONE_STATEMENT = text("""
WITH new_inbox AS (
    INSERT INTO inbox (dedupe_key, source, event_id, type, subject, version, payload, caller, received_at,
                       processed_at, purged_at, traceparent, tracestate, caller_traceparent)
    SELECT e.dedupe_key, e.source, e.event_id, e.type, e.subject, e.version, e.payload::json, e.caller,
           :now, e.processed_at, NULL, e.traceparent, e.tracestate, e.caller_traceparent
    FROM unnest(CAST(:dedupe_key AS varchar[]), CAST(:source AS varchar[]), CAST(:event_id AS varchar[]),
                CAST(:type AS varchar[]), CAST(:subject AS varchar[]), CAST(:version AS integer[]),
                CAST(:payload AS text[]), CAST(:caller AS varchar[]), CAST(:processed_at AS timestamptz[]),
                CAST(:traceparent AS varchar[]), CAST(:tracestate AS varchar[]), CAST(:caller_traceparent AS varchar[]))
         AS e(dedupe_key, source, event_id, type, subject, version, payload, caller, processed_at,
              traceparent, tracestate, caller_traceparent)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, dedupe_key
), new_deliveries AS (
    INSERT INTO deliveries (inbox_id, flow, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT n.id, w.flow, :pending, 0, :now, :now, :now
    FROM new_inbox n
    JOIN unnest(CAST(:wanted_key AS varchar[]), CAST(:wanted_flow AS varchar[])) AS w(dedupe_key, flow)
      ON w.dedupe_key = n.dedupe_key
    RETURNING inbox_id, id
)
SELECT n.dedupe_key, n.id, d.id FROM new_inbox n LEFT JOIN new_deliveries d ON d.inbox_id = n.id
""")


INBOX = cast(Table, InboxEvent.__table__)
DELIVERIES = cast(Table, Delivery.__table__)
#: Rows per SQLite INSERT: 13 values each stays far below its 32766 bound variables (SQLite 3.32+).
_SQLITE_ROWS = 500


@dataclass(frozen=True)
class _SqliteBinds:
    """The columns' own bind processors for this dialect (UtcDateTime to SQLite's text, JSON to text): what
    SQLAlchemy's compiled statements store, so the store's queries compare like with like."""

    time: Callable[[datetime | None], Any]
    payload: Callable[[Any], Any]


@cache
def _sqlite_binds(dialect: Any) -> _SqliteBinds:
    time = INBOX.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
    payload = INBOX.c.payload.type.dialect_impl(dialect).bind_processor(dialect)
    assert time is not None and payload is not None
    return _SqliteBinds(time, payload)


@cache
def _sqlite_insert_inbox(rows: int) -> str:
    """New inbox rows (a key stored before is skipped), RETURNING each new row's key and id."""
    one = "(" + ", ".join("?" * 13) + ")"
    return ("INSERT INTO inbox (dedupe_key, source, event_id, type, subject, version, payload, caller, received_at, "
            "processed_at, traceparent, tracestate, caller_traceparent) VALUES " + ", ".join([one] * rows) +
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, id")


@cache
def _sqlite_insert_deliveries(rows: int) -> str:
    """Pending deliveries (due now), RETURNING each one's inbox id and id."""
    one = "(?, ?, ?, 0, ?, ?, ?)"
    return ("INSERT INTO deliveries (inbox_id, flow, status, attempts, next_attempt_at, created_at, updated_at) "
            "VALUES " + ", ".join([one] * rows) + " RETURNING inbox_id, id")


def _trace_columns(trace: EventTrace | None) -> dict[str, str | None]:
    """The inbox's trace-context columns for one event (all null when it came without spans)."""
    if trace is None:
        return {"traceparent": None, "tracestate": None, "caller_traceparent": None}
    return {"traceparent": trace.traceparent, "tracestate": (trace.tracestate or "")[:512] or None,
            "caller_traceparent": trace.caller_traceparent}
