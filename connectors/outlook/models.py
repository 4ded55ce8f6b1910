"""The Graph shapes, defined with the calendar port (hub.ports.calendar_types): re-exported for the connector."""

from hub.ports.calendar_types import (
    HUB_TRANSACTION_PREFIX,
    BatchResponseItem,
    DateTimeTimeZone,
    Event,
    EventDraft,
    EventLocation,
    GraphModel,
    ItemBody,
    ScheduleInformation,
    ScheduleItem,
    ShowAs,
)

__all__ = ["HUB_TRANSACTION_PREFIX", "BatchResponseItem", "DateTimeTimeZone", "Event", "EventDraft", "EventLocation",
           "GraphModel", "ItemBody", "ScheduleInformation", "ScheduleItem", "ShowAs"]
