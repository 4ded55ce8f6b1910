"""What each Graph operation sends (no I/O): `GraphCall`s, calendar operations and `$batch` bodies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from connectors.foundation.http_call import HttpCall
from hub.ports.calendar_types import CalendarOp, CreateEvent, DeleteEvent, UpdateEvent

#: Graph accepts at most 20 requests in one `$batch`.
BATCH_LIMIT = 20
#: What the busy-time read selects from each event: no subject, body, attendees or location.
VIEW_SELECT = "id,start,end,showAs,isCancelled,categories,transactionId"
VIEW_PAGE_SIZE = 250
UTC_PREFER = 'outlook.timezone="UTC"'


@dataclass(frozen=True)
class GraphCall(HttpCall):
    """One Graph request, its path relative to the base URL (`/users/{id}/events`)."""

    @property
    def url(self) -> str:
        """Path plus query, as a `$batch` request's `url`."""
        return self.path + (f"?{urlencode(self.params)}" if self.params else "")




def mailbox_path(mailbox: str) -> str:
    if not mailbox:
        raise ValueError("a mailbox must not be empty")
    return f"/users/{quote(mailbox, safe='@')}"


def event_path(mailbox: str, event_id: str) -> str:
    if not event_id:
        raise ValueError("an event id must not be empty")
    return f"{mailbox_path(mailbox)}/events/{quote(event_id, safe='')}"


def call_for(op: CalendarOp) -> GraphCall:
    """The request one calendar operation makes."""
    if isinstance(op, CreateEvent):
        if not op.draft.transaction_id:
            raise ValueError("a create needs a transactionId so a retry never makes a second event")
        return GraphCall("create_event", "POST", f"{mailbox_path(op.mailbox)}/events", json=op.draft.wire())
    if isinstance(op, UpdateEvent):
        return GraphCall("update_event", "PATCH", event_path(op.mailbox, op.event_id), json=op.draft.patch())
    return GraphCall("delete_event", "DELETE", event_path(op.mailbox, op.event_id))


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times must carry a UTC offset")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def calendar_view(mailbox: str, start: datetime, end: datetime) -> GraphCall:
    """Events (occurrences expanded) overlapping [start, end), UTC times, only the fields busy time needs."""
    return GraphCall("calendar_view", "GET", f"{mailbox_path(mailbox)}/calendarView",
                     {"startDateTime": _utc(start), "endDateTime": _utc(end), "$select": VIEW_SELECT,
                      "$top": str(VIEW_PAGE_SIZE)}, headers={"Prefer": UTC_PREFER})


def get_schedule(via: str, schedules: Sequence[str], start: datetime, end: datetime, interval: int) -> GraphCall:
    body = {"schedules": list(schedules),
            "startTime": {"dateTime": _utc(start).rstrip("Z"), "timeZone": "UTC"},
            "endTime": {"dateTime": _utc(end).rstrip("Z"), "timeZone": "UTC"},
            "availabilityViewInterval": interval}
    return GraphCall("get_schedule", "POST", f"{mailbox_path(via)}/calendar/getSchedule", json=body,
                     headers={"Prefer": UTC_PREFER})


def follow(next_link: str, template: GraphCall) -> GraphCall:
    """A call for an `@odata.nextLink` (absolute URL) relative to the API version root."""
    parts = urlsplit(next_link)
    path = parts.path
    marker = path.find("/users/")
    if marker < 0:
        raise ValueError("nextLink outside /users")
    return GraphCall(template.name, "GET", path[marker:], dict(parse_qsl(parts.query)), headers=template.headers)


def batch_body(calls: Sequence[GraphCall]) -> dict[str, Any]:
    """The JSON batch body; request ids are the positions "1".."n" (at most 20)."""
    if len(calls) > BATCH_LIMIT:
        raise ValueError(f"a $batch holds at most {BATCH_LIMIT} requests")
    requests: list[dict[str, Any]] = []
    for index, call in enumerate(calls, start=1):
        item: dict[str, Any] = {"id": str(index), "method": call.method, "url": call.url}
        headers = dict(call.headers)
        if call.json is not None:
            headers["Content-Type"] = "application/json"
            item["body"] = call.json
        if headers:
            item["headers"] = headers
        requests.append(item)
    return {"requests": requests}


def chunks(items: Sequence[Any], size: int = BATCH_LIMIT) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


__all__ = ["BATCH_LIMIT", "VIEW_SELECT", "CalendarOp", "CreateEvent", "DeleteEvent", "GraphCall", "UpdateEvent",
           "batch_body", "calendar_view", "call_for", "chunks", "event_path", "follow", "get_schedule",
           "mailbox_path"]
