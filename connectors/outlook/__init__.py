"""Connector for Microsoft 365 / Outlook calendars through Microsoft Graph (httpx, documented REST shapes).

`GraphClient` creates, updates and deletes events in user and room mailboxes (`transactionId` on every
create), reads busy time (`calendarView` in `$batch`, `getSchedule`) and honours 429/503 Retry-After.
Importing this package registers the peer `outlook` in `hub.bootstrap.PEER_FACTORIES` (see `register_peer`).
"""

from __future__ import annotations

import sys
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


def _factory(settings: Any) -> GraphClient:
    return GraphClient.from_settings(settings.outlook)


def register_peer() -> None:
    """Add `outlook` to `hub.bootstrap.PEER_FACTORIES` (idempotent)."""
    from hub.bootstrap import PEER_FACTORIES

    PEER_FACTORIES.setdefault("outlook", _factory)


# hub.settings imports OutlookSettings from this package; while it does, hub.bootstrap cannot be imported
# yet (a cycle), so the flow module calls register_peer() again once everything is loaded.
_hub_settings = sys.modules.get("hub.settings")
if _hub_settings is None or hasattr(_hub_settings, "Settings"):
    register_peer()

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
    "register_peer",
]
