"""Wire-form sample data of the register (fictitious people; BSN 999993653 is a test number)."""

from __future__ import annotations

from typing import Any

API_VERSION = "1.0.0"


def appointment(appointment_id: str = "A-1001", version: int = 1, **changes: Any) -> dict[str, Any]:
    """A complete Appointment as the register returns it."""
    body: dict[str, Any] = {
        "id": appointment_id,
        "version": version,
        "status": "booked",
        "start": "2025-03-03T09:00:00+01:00",
        "end": "2025-03-03T09:15:00+01:00",
        "location": {"id": "loc-stadskantoor", "name": "Stadskantoor"},
        "department": "burgerzaken",
        "channel": "web",
        "products": [{"code": "PASPOORT", "name": "Paspoort aanvragen", "quantity": 1}],
        "customer": {"bsn": "999993653", "kvk": None, "initials": "J.", "firstName": "Jan",
                     "lastNamePrefix": "de", "lastName": "Vries", "birthDate": "1980-01-31",
                     "email": "jan.devries@example.nl", "phone": "0612345678", "language": "nl",
                     "anonymous": False},
        "employee": {"id": "emp-7", "upn": "m.jansen@tilburg.nl", "name": "M. Jansen"},
        "room": None,
        "counter": {"id": "balie-3", "name": "Balie 3"},
        "caseReference": "ZAAK-2025-0001",
        "groupSize": 1,
        "notes": None,
        "externalId": "hub-ext-1",
        "migrated": False,
        "updatedAt": "2025-03-01T12:00:00Z",
    }
    body.update(changes)
    return body


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail is not None:
        body["detail"] = detail
    return body


PRODUCT = {"code": "PASPOORT", "name": "Paspoort aanvragen", "department": "burgerzaken", "durationMinutes": 15}
LOCATION = {"id": "loc-stadskantoor", "name": "Stadskantoor", "address": "Stadhuisplein 130, 5038 TC Tilburg"}
COUNTER = {"id": "balie-3", "name": "Balie 3", "locationId": "loc-stadskantoor"}
ROOM = {"id": "room-1", "name": "Spreekkamer 1", "locationId": "loc-stadskantoor",
        "mailbox": "spreekkamer1@tilburg.nl"}
EMPLOYEE = {"id": "emp-7", "name": "M. Jansen", "upn": "m.jansen@tilburg.nl", "department": "burgerzaken"}


def staffing_block(block_id: str = "sb-1") -> dict[str, Any]:
    return {"id": block_id, "resourceId": "emp-7", "locationId": "loc-stadskantoor", "counterId": "balie-3",
            "start": "2025-03-03T08:30:00+01:00", "end": "2025-03-03T12:30:00+01:00",
            "skills": ["PASPOORT", "RIJBEWIJS"], "capacity": 1}


def unavailability_block(block_id: str = "ub-1") -> dict[str, Any]:
    return {"id": block_id, "employeeId": "emp-7", "start": "2025-03-04T13:00:00+01:00",
            "end": "2025-03-04T17:00:00+01:00", "reason": "training", "source": "exchange"}


def cloud_event(kind: str = "booked", **changes: Any) -> dict[str, Any]:
    data = appointment(**changes)
    return {"specversion": "1.0", "id": f"{data['id']}-v{data['version']}",
            "source": "urn:afsprakenhub:sandbox:register", "type": f"nl.tilburg.afspraken.appointment.{kind}",
            "subject": data["id"], "time": "2025-03-01T12:00:00Z", "datacontenttype": "application/json",
            "data": data}
