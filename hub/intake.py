"""Durable intake: persist inbox rows and their deliveries in one unit of work, dedupe by key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from hub.model import AppointmentEvent, CloudEvent
from hub.registry import FlowRegistry
from hub.store.db import Database
from hub.store.tables import Delivery, DeliveryStatus, InboxEvent, utcnow


def hashed_key(dedupe_key: str) -> str:
    return hashlib.sha256(dedupe_key.encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    """The answer for one event: its id, whether we had it already, and what to enqueue."""

    event_id: str
    inbox_id: int
    duplicate: bool
    delivery_ids: tuple[int, ...] = ()


class Intake:
    def __init__(self, db: Database, registry: FlowRegistry, now: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._registry = registry
        self._now = now

    def accept(self, events: Sequence[CloudEvent], caller: str,
               dedupe_keys: Sequence[str] | None = None) -> list[Accepted]:
        """Store the events not seen before (and one delivery per consuming flow), all or nothing.

        `dedupe_keys` overrides the CloudEvent `source`+`id` key (ZGW messages use a content hash).
        """
        keys = [hashed_key(k) for k in (dedupe_keys or [e.dedupe_key for e in events])]
        for attempt in range(3):
            try:
                return self._accept_once(events, keys, caller)
            except IntegrityError:
                # A concurrent request stored one of these keys first; the next pass sees it.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _accept_once(self, events: Sequence[CloudEvent], keys: list[str], caller: str) -> list[Accepted]:
        """One transaction of two statements for new events, whatever the batch size: insert the inbox
        rows, skipping keys already stored (RETURNING the new ids), then their deliveries (RETURNING theirs).
        Only when a key was there already does a third statement look its id up."""
        now = self._now()
        fresh: dict[str, tuple[CloudEvent, tuple[str, ...]]] = {}
        for event, key in zip(events, keys, strict=True):
            fresh.setdefault(key, (event, tuple(f.name for f in self._registry.for_type(event.type))))
        rows = [{
            "dedupe_key": key, "source": event.source, "event_id": event.id, "type": event.type,
            "subject": event.subject, "version": event.data.version if isinstance(event, AppointmentEvent) else None,
            "payload": event.model_dump(mode="json"), "caller": caller, "received_at": now,
            "purged_at": None, "processed_at": None if flows else now,
        } for key, (event, flows) in fresh.items()]
        with self._db.unit_of_work() as s:
            new_ids: dict[str, int] = dict(s.execute(
                _insert_new(self._db.backend).returning(INBOX.c.dedupe_key, INBOX.c.id), rows).all())
            known = [key for key in fresh if key not in new_ids]
            old_ids: dict[str, int] = dict(s.execute(
                select(INBOX.c.dedupe_key, INBOX.c.id).where(INBOX.c.dedupe_key.in_(known))).all()) if known else {}
            delivery_ids: dict[int, list[int]] = {inbox_id: [] for inbox_id in new_ids.values()}
            wanted = [{"inbox_id": inbox_id, "flow": flow, "status": DeliveryStatus.PENDING, "attempts": 0,
                       "next_attempt_at": now, "created_at": now, "updated_at": now}
                      for key, inbox_id in new_ids.items() for flow in fresh[key][1]]
            if wanted:
                for inbox_id, delivery_id in s.execute(DELIVERIES.insert().returning(
                        DELIVERIES.c.inbox_id, DELIVERIES.c.id), wanted):
                    delivery_ids[inbox_id].append(delivery_id)
        results: list[Accepted] = []
        for event, key in zip(events, keys, strict=True):
            if key in new_ids and new_ids[key] in delivery_ids:  # the first of any repeats in the batch
                inbox_id = new_ids[key]
                results.append(Accepted(event.id, inbox_id, False, tuple(sorted(delivery_ids.pop(inbox_id)))))
            else:
                results.append(Accepted(event.id, new_ids.get(key) or old_ids[key], duplicate=True))
        return results


INBOX = cast(Table, InboxEvent.__table__)
DELIVERIES = cast(Table, Delivery.__table__)


def _insert_new(backend: str) -> Insert:
    """`INSERT … ON CONFLICT (dedupe_key) DO NOTHING` on the inbox: a key stored before (or by a concurrent
    request, once that one commits) is skipped instead of failing the transaction."""
    dialect_insert = sqlite_insert if backend == "sqlite" else postgresql_insert
    return dialect_insert(INBOX).on_conflict_do_nothing(index_elements=[INBOX.c.dedupe_key])
