"""Durable intake: persist inbox rows and their deliveries in one unit of work, dedupe by key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.model import AppointmentEvent, CloudEvent
from hub.registry import FlowRegistry
from hub.store.db import Database
from hub.store.tables import Delivery, InboxEvent, utcnow


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
        now = self._now()
        results: list[Accepted] = []
        with self._db.unit_of_work() as s:
            existing: dict[str, int] = {
                key: inbox_id for key, inbox_id in
                s.execute(select(InboxEvent.dedupe_key, InboxEvent.id).where(InboxEvent.dedupe_key.in_(keys)))
            }
            for event, key in zip(events, keys, strict=True):
                if key in existing:
                    results.append(Accepted(event.id, existing[key], duplicate=True))
                    continue
                flows = self._registry.for_type(event.type)
                version = event.data.version if isinstance(event, AppointmentEvent) else None
                row = InboxEvent(
                    dedupe_key=key, source=event.source, event_id=event.id, type=event.type,
                    subject=event.subject, version=version, payload=event.model_dump(mode="json"),
                    caller=caller, received_at=now, processed_at=None if flows else now,
                )
                s.add(row)
                s.flush()
                deliveries = [
                    Delivery(inbox_id=row.id, flow=f.name, next_attempt_at=now, created_at=now, updated_at=now)
                    for f in flows
                ]
                s.add_all(deliveries)
                s.flush()
                existing[key] = row.id
                results.append(Accepted(event.id, row.id, False, tuple(d.id for d in deliveries)))
        return results
