"""Outlook calendars (Microsoft Graph) as a port: place, change and remove events; read busy time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from hub.errors import DeliveryError
from hub.ports.calendar_types import CalendarOp, CreateEvent, DeleteEvent, Event, OpResult, UpdateEvent


class CalendarPort(Protocol):
    """The calendars of user and room mailboxes (peer `outlook`).

    Errors are `hub.ports.errors`: `NotFoundError` for a mailbox or event that does not exist, TransientError
    (429/5xx/timeouts) and PermanentError otherwise; per operation they come back inside `OpResult.error`.
    """

    def execute(self, ops: Sequence[CalendarOp]) -> list[OpResult]:
        """Run the operations (batched); one result per operation, in order, each with its own error."""

    def calendar_views(self, mailboxes: Sequence[str], start: datetime,
                       end: datetime) -> dict[str, list[Event] | DeliveryError]:
        """Events overlapping [start, end) per mailbox, or that mailbox's error."""

    def get_event(self, mailbox: str, event_id: str) -> Event | None:
        """One event, or None when it is gone."""


__all__ = ["CalendarOp", "CalendarPort", "CreateEvent", "DeleteEvent", "Event", "OpResult", "UpdateEvent"]
