"""Helpers of the sandbox tests: a fake clock, a hub that receives events, a valid appointment body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse

from sandbox.framework import Simulator
from sandbox.problems import Problem

HUB_TOKEN = "hub-test-token"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class HubReceiver(Simulator):
    """Stands in for the hub's `POST /api/v1/events` (bearer auth, CloudEvents JSON)."""

    def __init__(self, token: str = HUB_TOKEN) -> None:
        super().__init__("hub", "/hub")
        self.events: list[dict[str, Any]] = []

        @self.app.post("/api/v1/events")
        async def receive(request: Request, authorization: str | None = Header(None)) -> JSONResponse:
            if authorization != f"Bearer {token}":
                raise Problem(401, "bad token")
            if request.headers.get("content-type") != "application/cloudevents+json":
                raise Problem(415, "expected application/cloudevents+json")
            self.events.append(await request.json())
            return JSONResponse({"accepted": 1}, status_code=202)


def appointment_body(**overrides: Any) -> dict[str, Any]:
    """A valid AppointmentInput on the wire."""
    body: dict[str, Any] = {
        "status": "booked",
        "start": "2025-03-10T09:00:00+01:00",
        "end": "2025-03-10T09:15:00+01:00",
        "location": {"id": "LOC-KONINGSPLEIN", "name": "Stadswinkel Koningsplein"},
        "department": "Burgerzaken",
        "channel": "online",
        "products": [{"code": "PASPOORT-AANVRAAG", "name": "Paspoort aanvragen", "quantity": 1}],
        "customer": {"bsn": "111222333", "lastName": "Jansen", "email": "j.jansen@example.nl"},
        "caseReference": "ZAAK-2025-0001",
    }
    body.update(overrides)
    return body
