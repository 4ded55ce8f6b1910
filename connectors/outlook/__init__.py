"""Connector for Microsoft 365 / Outlook calendars through Microsoft Graph (httpx, documented REST shapes).

`GraphClient` creates, updates and deletes events in user and room mailboxes (`transactionId` on every
create), reads busy time (`calendarView` in `$batch`, `getSchedule`) and honours 429/503 Retry-After.
Importing this package registers the peer `outlook` in `hub.peers`.
"""

from __future__ import annotations

from typing import Any

from connectors.outlook.auth import Credentials
from connectors.outlook.calls import BATCH_LIMIT, CalendarOp, CreateEvent, DeleteEvent, UpdateEvent
from connectors.outlook.client import GraphClient, OpResult
from connectors.outlook.errors import NotFoundError
from connectors.outlook.models import (
    HUB_TRANSACTION_PREFIX,
    DateTimeTimeZone,
    Event,
    EventDraft,
    EventLocation,
    ItemBody,
    ScheduleInformation,
    ScheduleItem,
)
from connectors.outlook.settings import OutlookSettings
from hub.peers import register_peer
from hub.ports.calendar import CalendarPort


def _factory(settings: Any) -> CalendarPort:
    return GraphClient.from_settings(settings.outlook)


register_peer("outlook", _factory)

__all__ = [
    "BATCH_LIMIT",
    "HUB_TRANSACTION_PREFIX",
    "CalendarOp",
    "CreateEvent",
    "Credentials",
    "DateTimeTimeZone",
    "DeleteEvent",
    "Event",
    "EventDraft",
    "EventLocation",
    "GraphClient",
    "ItemBody",
    "NotFoundError",
    "OpResult",
    "OutlookSettings",
    "ScheduleInformation",
    "ScheduleItem",
    "UpdateEvent",
]
