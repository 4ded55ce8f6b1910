"""Graph request and response shapes as JSON Schema, written from Microsoft's Graph v1.0 reference.

event (POST/PATCH /users/{id}/events), calendar/getSchedule, calendarView, JSON batching (`/$batch`,
at most 20 requests) and the Entra v2 client-credentials token request.
"""

from __future__ import annotations

from typing import Any

DATE_TIME_TIME_ZONE: dict[str, Any] = {
    "type": "object", "required": ["dateTime", "timeZone"],
    "properties": {"dateTime": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?$"},
                   "timeZone": {"type": "string", "minLength": 1}},
}

EVENT_WRITE: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["subject", "start", "end"],
    "properties": {
        "subject": {"type": "string"},
        "body": {"type": "object", "required": ["contentType", "content"],
                 "properties": {"contentType": {"enum": ["text", "html"]}, "content": {"type": "string"}}},
        "start": DATE_TIME_TIME_ZONE, "end": DATE_TIME_TIME_ZONE,
        "location": {"type": "object", "required": ["displayName"], "properties": {"displayName": {"type": "string"}}},
        "categories": {"type": "array", "items": {"type": "string"}},
        "sensitivity": {"enum": ["normal", "personal", "private", "confidential"]},
        "showAs": {"enum": ["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]},
        "isReminderOn": {"type": "boolean"},
        "transactionId": {"type": "string", "minLength": 1},
    },
}

EVENT_CREATE: dict[str, Any] = {**EVENT_WRITE, "required": ["subject", "start", "end", "transactionId"]}
EVENT_PATCH: dict[str, Any] = {**EVENT_WRITE, "required": [],
                               "properties": {k: v for k, v in EVENT_WRITE["properties"].items()
                                              if k != "transactionId"}}

GET_SCHEDULE: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["schedules", "startTime", "endTime"],
    "properties": {"schedules": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                   "startTime": DATE_TIME_TIME_ZONE, "endTime": DATE_TIME_TIME_ZONE,
                   "availabilityViewInterval": {"type": "integer", "minimum": 5, "maximum": 1440}},
}

BATCH: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["requests"],
    "properties": {"requests": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
        "type": "object", "required": ["id", "method", "url"],
        "properties": {"id": {"type": "string", "minLength": 1},
                       "method": {"enum": ["GET", "POST", "PATCH", "PUT", "DELETE"]},
                       "url": {"type": "string", "pattern": "^/"},  # relative to the version root
                       "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                       "body": {"type": "object"},
                       "dependsOn": {"type": "array", "items": {"type": "string"}}}}}},
}

# -- documented sample answers ------------------------------------------------------------------

EVENT_RESPONSE: dict[str, Any] = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('p.jansen%40example.nl')/events/$entity",
    "@odata.etag": 'W/"ZlnW4RIAV06KYYwlrfNZvQAAKGWwbw=="',
    "id": "AAMkAGIAAAoZDOFAAA=", "createdDateTime": "2027-02-20T10:00:00.1234567Z",
    "transactionId": "afsprakenhub-0", "subject": "Paspoort aanvragen", "sensitivity": "private",
    "showAs": "busy", "isCancelled": False, "categories": ["Afspraak"],
    "start": {"dateTime": "2027-03-01T09:00:00.0000000", "timeZone": "Europe/Amsterdam"},
    "end": {"dateTime": "2027-03-01T09:15:00.0000000", "timeZone": "Europe/Amsterdam"},
}

SCHEDULE_RESPONSE: dict[str, Any] = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
    "value": [{"scheduleId": "p.jansen@example.nl", "availabilityView": "0022",
               "scheduleItems": [{"isPrivate": False, "status": "busy", "subject": "Overleg", "location": "",
                                  "start": {"dateTime": "2027-03-01T10:00:00.0000000", "timeZone": "UTC"},
                                  "end": {"dateTime": "2027-03-01T11:00:00.0000000", "timeZone": "UTC"}}],
               "workingHours": {"daysOfWeek": ["monday"], "startTime": "08:00:00.0000000",
                                "endTime": "17:00:00.0000000", "timeZone": {"name": "W. Europe Standard Time"}}}],
}
