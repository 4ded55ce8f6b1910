"""The Graph simulator's mailboxes and events in memory (thread-safe)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.register.seed import EMPLOYEES, ROOMS


def to_utc(value: dict[str, Any]) -> datetime:
    """A Graph dateTimeTimeZone as an aware UTC datetime (IANA or UTC zone names)."""
    text = str(value["dateTime"]).rstrip("Z")
    head, _, frac = text.partition(".")
    moment = datetime.fromisoformat(head + (f".{frac[:6]}" if frac else ""))
    zone = value.get("timeZone") or "UTC"
    tz = UTC if zone.upper() == "UTC" else ZoneInfo(zone)
    return moment.replace(tzinfo=tz).astimezone(UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def graph_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


@dataclass
class StoredEvent:
    id: str
    mailbox: str
    body: dict[str, Any]
    start: datetime
    end: datetime
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def transaction_id(self) -> str | None:
        value = self.body.get("transactionId")
        return value if isinstance(value, str) else None

    @property
    def show_as(self) -> str:
        return str(self.body.get("showAs") or "busy")

    def wire(self) -> dict[str, Any]:
        return {**self.body, "id": self.id, "start": graph_time(self.start), "end": graph_time(self.end),
                "showAs": self.show_as, "isCancelled": bool(self.body.get("isCancelled", False)),
                "categories": list(self.body.get("categories", [])), "transactionId": self.transaction_id}


class GraphState:
    """Mailboxes (users and rooms, by lower-case address) and their events."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.mailboxes: dict[str, str] = {e.upn.lower(): "user" for e in EMPLOYEES}
        self.mailboxes.update({r.mailbox.lower(): "room" for r in ROOMS})
        self.events: dict[str, StoredEvent] = {}
        self._ids = itertools.count(1)

    def known(self, mailbox: str) -> bool:
        return mailbox.lower() in self.mailboxes

    def new_id(self) -> str:
        return f"AAMkAGI2{next(self._ids):08d}AAA="

    def create(self, mailbox: str, body: dict[str, Any]) -> tuple[StoredEvent, bool]:
        """Create, or return the event created earlier with the same transactionId (Graph's dedupe)."""
        mailbox = mailbox.lower()
        with self.lock:
            txn = body.get("transactionId")
            if txn:
                for event in self.events.values():
                    if event.mailbox == mailbox and event.transaction_id == txn:
                        return event, False
            event = StoredEvent(self.new_id(), mailbox, dict(body), to_utc(body["start"]), to_utc(body["end"]))
            self.events[event.id] = event
            return event, True

    def get(self, mailbox: str, event_id: str) -> StoredEvent | None:
        with self.lock:
            event = self.events.get(event_id)
            return event if event is not None and event.mailbox == mailbox.lower() else None

    def update(self, mailbox: str, event_id: str, patch: dict[str, Any]) -> StoredEvent | None:
        with self.lock:
            event = self.get(mailbox, event_id)
            if event is None:
                return None
            event.body.update({k: v for k, v in patch.items() if k != "transactionId"})
            if "start" in patch:
                event.start = to_utc(patch["start"])
            if "end" in patch:
                event.end = to_utc(patch["end"])
            return event

    def delete(self, mailbox: str, event_id: str) -> bool:
        with self.lock:
            if self.get(mailbox, event_id) is None:
                return False
            del self.events[event_id]
            return True

    def in_mailbox(self, mailbox: str, start: datetime | None = None, end: datetime | None = None) -> list[StoredEvent]:
        with self.lock:
            found = [e for e in self.events.values() if e.mailbox == mailbox.lower()
                     and (start is None or e.end > start) and (end is None or e.start < end)]
        return sorted(found, key=lambda e: (e.start, e.id))
