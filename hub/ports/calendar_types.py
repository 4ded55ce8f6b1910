"""The calendar port's types: Graph shapes the hub sends and reads (events, schedules, `$batch`) and the
calendar operations with their results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hub.errors import DeliveryError

#: Every event the hub creates carries a transactionId with this prefix (echo detection, dedupe).
HUB_TRANSACTION_PREFIX = "afsprakenhub-"
ShowAs = Literal["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]


class GraphModel(BaseModel):
    """camelCase on the wire, snake_case in code, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class DateTimeTimeZone(GraphModel):
    """Graph's local time plus time zone name (`{"dateTime": "2027-03-01T09:00:00", "timeZone": "..."}`)."""

    date_time: str
    time_zone: str = "UTC"

    @classmethod
    def of(cls, moment: datetime, zone: str) -> DateTimeTimeZone:
        local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        return cls(date_time=local.isoformat(timespec="seconds"), time_zone=zone)

    def aware(self) -> datetime:
        """The moment as an aware datetime (Graph sends up to 7 fractional digits)."""
        text = self.date_time.rstrip("Z")
        head, _, frac = text.partition(".")
        value = datetime.fromisoformat(head + (f".{frac[:6]}" if frac else ""))
        if value.tzinfo is not None:
            return value
        try:
            zone = UTC if self.time_zone.upper() in {"UTC", "Z"} else ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        return value.replace(tzinfo=zone)


class ItemBody(GraphModel):
    content_type: Literal["text", "html"] = "html"
    content: str = ""


class EventLocation(GraphModel):
    display_name: str


class EventDraft(GraphModel):
    """What the hub writes into a calendar (create body; without `transaction_id` it is a PATCH body)."""

    subject: str
    body: ItemBody
    start: DateTimeTimeZone
    end: DateTimeTimeZone
    location: EventLocation | None = None
    categories: list[str] = Field(default_factory=list)
    sensitivity: Literal["normal", "personal", "private", "confidential"] = "normal"
    show_as: ShowAs = "busy"
    is_reminder_on: bool = False
    transaction_id: str | None = None

    def patch(self) -> dict[str, Any]:
        """The PATCH body: every field but `transactionId` (set once, on create)."""
        body = self.wire()
        body.pop("transactionId", None)
        return body


class Event(GraphModel):
    """An event as Graph returns it (only what the hub reads)."""

    id: str
    transaction_id: str | None = None
    subject: str | None = None
    start: DateTimeTimeZone | None = None
    end: DateTimeTimeZone | None = None
    show_as: str | None = None
    is_cancelled: bool | None = None
    categories: list[str] = Field(default_factory=list)

    @property
    def placed_by_hub(self) -> bool:
        return bool(self.transaction_id and self.transaction_id.startswith(HUB_TRANSACTION_PREFIX))


class ScheduleItem(GraphModel):
    status: str
    start: DateTimeTimeZone
    end: DateTimeTimeZone
    is_private: bool | None = None


class ScheduleInformation(GraphModel):
    schedule_id: str
    availability_view: str | None = None
    schedule_items: list[ScheduleItem] = Field(default_factory=list)


class BatchResponseItem(GraphModel):
    """One answer inside a `$batch` response."""

    id: str
    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None




@dataclass(frozen=True)
class CreateEvent:
    """Create `draft` in `mailbox`'s calendar."""

    mailbox: str
    draft: EventDraft


@dataclass(frozen=True)
class UpdateEvent:
    """Replace event `event_id` in `mailbox` with `draft`."""

    mailbox: str
    event_id: str
    draft: EventDraft


@dataclass(frozen=True)
class DeleteEvent:
    """Delete event `event_id` from `mailbox`."""

    mailbox: str
    event_id: str


CalendarOp = CreateEvent | UpdateEvent | DeleteEvent


@dataclass(frozen=True)
class OpResult:
    """What one calendar operation did: the event (create/update), `gone` (404 on delete), or the error."""

    op: CalendarOp
    event: Event | None = None
    gone: bool = False
    error: DeliveryError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


__all__ = [
    "HUB_TRANSACTION_PREFIX",
    "BatchResponseItem",
    "CalendarOp",
    "CreateEvent",
    "DateTimeTimeZone",
    "DeleteEvent",
    "Event",
    "EventDraft",
    "EventLocation",
    "GraphModel",
    "ItemBody",
    "OpResult",
    "ScheduleInformation",
    "ScheduleItem",
    "ShowAs",
    "UpdateEvent",
]
