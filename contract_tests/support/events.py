"""Builders for canonical events (fake BSN 999993653, example.nl addresses), for contract tests and the test suite."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

AMS = ZoneInfo("Europe/Amsterdam")
FAKE_BSN = "999993653"


def appointment(appointment_id: str = "A-1001", version: int = 1, status: str = "booked",
                start: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    start = start or datetime(2027, 3, 1, 9, 0, tzinfo=AMS)
    data: dict[str, Any] = {
        "id": appointment_id, "version": version, "status": status,
        "start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat(),
        "location": {"id": "STW-KP", "name": "Stadswinkel Koningsplein"},
        "department": "dienstverlening", "channel": "web",
        "products": [{"code": "PASPOORT-AANVRAAG", "name": "Paspoort aanvragen", "quantity": 1}],
        "customer": {"bsn": FAKE_BSN, "kvk": None, "initials": "J.", "firstName": "Jan", "lastNamePrefix": "van",
                     "lastName": "Dijk", "birthDate": "1980-01-28", "email": "jan@example.nl",
                     "phone": "0612345678", "language": "nl", "anonymous": False, "identification": "digid"},
        "employee": {"id": "E-17", "upn": "p.jansen@example.nl"},
        "room": {"id": "SK-3", "mailbox": "spreekkamer3@example.nl"},
        "counter": None, "caseReference": None, "groupSize": 1, "notes": None,
    }
    data.update(overrides)
    return data


def cloudevent(kind: str = "booked", appointment_id: str = "A-1001", version: int = 1,
               event_id: str | None = None, source: str = "urn:test:tip", **data_overrides: Any) -> dict[str, Any]:
    status = {"rescheduled": "booked"}.get(kind, kind)
    return {
        "specversion": "1.0",
        "id": event_id or f"{appointment_id}-v{version}",
        "source": source,
        "type": f"nl.tilburg.afspraken.appointment.{kind}",
        "subject": appointment_id,
        "time": "2027-02-20T10:00:00+01:00",
        "datacontenttype": "application/json",
        "data": appointment(appointment_id, version, status, **data_overrides),
    }
