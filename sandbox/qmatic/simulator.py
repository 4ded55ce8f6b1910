"""`QmaticSimulator`: the Qmatic Orchestra Calendar public API, the calls the hub's adapter makes, as documented.

Mounted at `{prefix}` (default `/qmatic`); the API root is `{prefix}/calendar-backend/public/api`, with `v1/`
and `v2/` paths below it. Behaviour copied from Qmatic's public shapes (see `connectors/qmatic/models.py` for
the sources), quirks included:

- every call needs the API key in `X-Api-Key` (else 401 `{"msg": …}`, assumed: the sources show no refusal);
- `GET v1/branches`, `GET v1/branches/{publicId}`, `GET v1/services`, `GET v1/branches/{publicId}/services`:
  wrapped lists (`branchList`, `branch`, `serviceList`) with `notifications` and `meta`;
- `GET v1/appointments/{publicId}` → `{"appointment": {...}}` with `start`/`end` in UTC written `+00:00`;
  unknown (or cancelled) → 404;
- `POST v2/branches/{b}/dates/{YYYY-MM-DD}/times/{HH:MM}/book` with `{title, customers, services, notes}`:
  the branch's wall-clock date and time in the path; several customers and services at once; the end is
  the start plus, per service, `duration + additionalCustomerDuration * (customers - 1)` minutes; answers the
  appointment unwrapped, times written `+0000`, a long hexadecimal `publicId`, `status` 20, customers'
  `dateOfBirth` as epoch milliseconds; an unknown service → 500 with the reason in an `error_message` header
  (Qmatic's way of reporting server errors); no customer or no service → 400;
- `DELETE v1/appointments/{publicId}` → 204; unknown → 404.

Sandbox-only (never in Qmatic): `POST {prefix}/_sandbox/appointments` takes canonical appointments (wire form)
and stores them as Qmatic would hold them, keeping their ids; `GET {prefix}/_sandbox/appointments` lists them,
cancelled ones included. In Python: `put_appointment`, `appointment_status`, `hub_settings`.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub.model import Appointment, AppointmentStatus
from sandbox.faults import Faults
from sandbox.framework import CONTROL_PREFIX, Simulator
from sandbox.seeding import install_seeding

API_ROOT = "/calendar-backend/public/api"
DEFAULT_API_KEY = "sandbox-key"
BOOKED = 20
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _public_id(seed: str | None = None) -> str:
    """A long hexadecimal public id, as Qmatic's (random, or derived from `seed`)."""
    return (uuid.uuid5(uuid.NAMESPACE_URL, f"qmatic-sandbox:{seed}") if seed else uuid.uuid4()).hex


def _millis(value: datetime | None = None) -> int:
    return int((value or datetime.now(UTC)).timestamp() * 1000)


def _utc(value: datetime, compact: bool) -> str:
    """`2016-11-10T11:30:00.000+0000` (booking answers) or `…+00:00` (reads), as Qmatic writes them."""
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
    return text + ("+0000" if compact else "+00:00")


def _meta(total: int, arguments: dict[str, str] | None = None) -> dict[str, Any]:
    return {"start": "", "end": "", "totalResults": total, "offset": None, "limit": None, "fields": "",
            "arguments": arguments or {}}


def _msg(status: int, text: str) -> JSONResponse:
    return JSONResponse({"msg": text}, status_code=status)


@dataclass
class Held:
    """One appointment as Qmatic holds it; times as aware datetimes, written out per Qmatic's formats."""

    public_id: str
    branch_id: str
    start: datetime
    end: datetime
    services: list[str]
    customers: list[dict[str, Any]]
    title: str | None
    notes: str | None
    created: int
    cancelled: bool = False


class QmaticSimulator(Simulator):
    """Qmatic Calendar in memory: branches, services, appointments; an API key."""

    def __init__(self, *, prefix: str = "/qmatic", seed: int = 0, faults: Faults | None = None,
                 api_key: str = DEFAULT_API_KEY) -> None:
        super().__init__("qmatic", prefix, seed=seed, faults=faults)
        self.api_key = api_key
        self.branches: dict[str, dict[str, Any]] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.appointments: dict[str, Held] = {}
        self._lock = threading.RLock()
        self._add_routes()

    # -- URLs and settings ---------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the Qmatic simulator is not served yet; start a SandboxServer with it")
        return self.base_url + API_ROOT

    def hub_settings(self) -> dict[str, str]:
        """The hub's `register.qmatic` settings for this simulator (after it is served)."""
        return {"base_url": self.api_url, "api_key": self.api_key}

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "apiKey": self.api_key}
        if self.base_url:
            info["apiUrl"] = self.api_url
        return info

    # -- domain API ------------------------------------------------------------------------------
    def add_branch(self, public_id: str, name: str, *, time_zone: str = "Europe/Amsterdam",
                   street: str | None = None, postal_code: str | None = None, city: str | None = None) -> None:
        now = _millis()
        with self._lock:
            self.branches[public_id] = {
                "addressState": None, "phone": None, "addressCity": city, "fullTimeZone": time_zone,
                "timeZone": time_zone, "addressLine2": street, "addressLine1": None, "updated": now, "created": now,
                "email": None, "name": name, "publicId": public_id, "longitude": None, "branchPrefix": None,
                "latitude": None, "addressCountry": "Netherlands", "custom": None, "addressZip": postal_code}

    def seed_example(self) -> None:
        """A small catalogue with Qmatic-like public ids (for `sandbox serve` and a manual `register probe`)."""
        self.add_branch(_public_id("STW-KP"), "Stadswinkel Koningsplein", street="Koningsplein 1",
                        postal_code="5038 WG", city="Tilburg")
        self.add_service(_public_id("PASPOORT-AANVRAAG"), "Paspoort aanvragen", duration=15,
                         additional_customer_duration=10)
        self.add_service(_public_id("RIJBEWIJS-OPHALEN"), "Rijbewijs ophalen", duration=5,
                         additional_customer_duration=0)

    def add_service(self, public_id: str, name: str, *, duration: int = 10, additional_customer_duration: int = 5,
                    active: bool = True, public_enabled: bool = True) -> None:
        now = _millis()
        with self._lock:
            self.services[public_id] = {
                "additionalCustomerDuration": additional_customer_duration, "duration": duration, "updated": now,
                "created": now, "name": name, "publicId": public_id, "active": active,
                "publicEnabled": public_enabled, "custom": None}

    def put_appointment(self, appointment: Appointment) -> None:
        """Store a canonical appointment as Qmatic would hold it (same id; branch and services added as needed)."""
        with self._lock:
            if appointment.location.id not in self.branches:
                self.add_branch(appointment.location.id, appointment.location.name or appointment.location.id)
            for p in appointment.products:
                if p.code not in self.services:
                    self.add_service(p.code, p.name or p.code)
            c = appointment.customer
            main: dict[str, Any] = {}
            if c is not None and not c.anonymous:
                last = " ".join(x for x in (c.last_name_prefix, c.last_name) if x) or None
                main = {"firstName": c.first_name, "lastName": last, "email": str(c.email) if c.email else None,
                        "phone": c.phone, "dateOfBirth": c.birth_date.isoformat() if c.birth_date else None}
            count = max([appointment.group_size, *(p.quantity for p in appointment.products)])
            customers = [self._customer(main)] + [
                self._customer({"firstName": main.get("firstName"), "lastName": main.get("lastName")})
                for _ in range(count - 1)]
            self.appointments[appointment.id] = Held(
                appointment.id, appointment.location.id, appointment.start, appointment.end,
                list(dict.fromkeys(p.code for p in appointment.products)), customers, "afsprakenhub",
                appointment.notes, _millis(), cancelled=appointment.status == AppointmentStatus.CANCELLED)

    def appointment_status(self, appointment_id: str) -> AppointmentStatus | None:
        """`booked` or `cancelled` (what the hub can change here); None when it never held the appointment."""
        with self._lock:
            held = self.appointments.get(appointment_id)
        if held is None:
            return None
        return AppointmentStatus.CANCELLED if held.cancelled else AppointmentStatus.BOOKED

    @staticmethod
    def _customer(given: dict[str, Any]) -> dict[str, Any]:
        born = given.get("dateOfBirth")
        birth_ms = None
        if isinstance(born, str) and born:
            birth_ms = _millis(datetime.combine(date.fromisoformat(born[:10]), datetime.min.time(), AMSTERDAM))
        first, last = given.get("firstName"), given.get("lastName")
        return {"dateOfBirth": birth_ms, "addressState": None, "lastName": last, "phone": given.get("phone"),
                "addressCity": None, "externalId": None, "addressLine2": None, "addressLine1": None,
                "updated": None, "created": _millis(), "email": given.get("email"),
                "name": " ".join(x for x in (first, last) if x) or None, "publicId": _public_id(),
                "firstName": first, "addressCountry": None, "custom": None,
                "identificationNumber": given.get("identificationNumber"), "addressZip": None}

    def _view(self, held: Held, compact: bool) -> dict[str, Any]:
        return {"services": [self.services[s] for s in held.services if s in self.services], "allDay": False,
                "status": BOOKED, "resource": {"name": "Resource 1"}, "customers": held.customers,
                "blocking": False, "title": held.title, "start": _utc(held.start, compact),
                "created": held.created, "updated": held.created, "publicId": held.public_id,
                "branch": self.branches[held.branch_id], "notes": held.notes, "end": _utc(held.end, compact),
                "custom": None}

    # -- routes ----------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        app = self.app
        root = API_ROOT

        def refused(request: Request) -> Response | None:
            given = request.headers.get("x-api-key", "")
            if not secrets.compare_digest(given.encode(), self.api_key.encode()):
                return _msg(401, "Unauthorized")
            return None

        @app.get(f"{root}/v1/branches")
        async def branches(request: Request) -> Response:
            if (no := refused(request)) is not None:
                return no
            with self._lock:
                items = list(self.branches.values())
            return JSONResponse({"notifications": [], "branchList": items, "meta": _meta(len(items))})

        @app.get(f"{root}/v1/branches/{{branch_id}}")
        async def branch(request: Request, branch_id: str) -> Response:
            if (no := refused(request)) is not None:
                return no
            with self._lock:
                found = self.branches.get(branch_id)
            if found is None:
                return _msg(404, "Branch not found")
            return JSONResponse({"notifications": [], "branch": found, "meta": _meta(1)})

        @app.get(f"{root}/v1/services")
        async def services(request: Request) -> Response:
            if (no := refused(request)) is not None:
                return no
            with self._lock:
                items = list(self.services.values())
            return JSONResponse({"serviceList": items, "notifications": [], "meta": _meta(len(items))})

        @app.get(f"{root}/v1/branches/{{branch_id}}/services")
        async def branch_services(request: Request, branch_id: str) -> Response:
            if (no := refused(request)) is not None:
                return no
            with self._lock:
                if branch_id not in self.branches:
                    return _msg(404, "Branch not found")
                items = list(self.services.values())
            return JSONResponse({"serviceList": items, "notifications": [], "meta": _meta(len(items))})

        @app.get(f"{root}/v1/appointments/{{public_id}}")
        async def get_appointment(request: Request, public_id: str) -> Response:
            if (no := refused(request)) is not None:
                return no
            with self._lock:
                held = self.appointments.get(public_id)
                if held is None or held.cancelled:
                    return _msg(404, "Appointment not found")
                view = self._view(held, compact=False)
            return JSONResponse({"notifications": [], "meta": _meta(1), "appointment": view})

        @app.delete(f"{root}/v1/appointments/{{public_id}}")
        async def cancel(request: Request, public_id: str) -> Response:
            if (no := refused(request)) is not None:
                return no
            with self._lock:
                held = self.appointments.get(public_id)
                if held is None or held.cancelled:
                    return _msg(404, "Appointment not found")
                held.cancelled = True
            return Response(status_code=204)

        @app.post(f"{root}/v2/branches/{{branch_id}}/dates/{{day}}/times/{{at}}/book")
        async def book(request: Request, branch_id: str, day: str, at: str) -> Response:
            if (no := refused(request)) is not None:
                return no
            try:
                body = await request.json()
            except ValueError:
                return _msg(400, "Request body is not JSON")
            return self._book(branch_id, day, at, body if isinstance(body, dict) else {})

        install_seeding(app, self.put_appointment)

        @app.get(f"{CONTROL_PREFIX}/appointments", tags=["sandbox"])
        def held() -> list[dict[str, Any]]:
            with self._lock:
                return [{**self._view(h, compact=False), "cancelled": h.cancelled}
                        for h in self.appointments.values() if h.branch_id in self.branches]

    def _book(self, branch_id: str, day: str, at: str, body: dict[str, Any]) -> Response:
        with self._lock:
            branch = self.branches.get(branch_id)
            if branch is None:
                return _msg(404, "Branch not found")
            try:
                wall = datetime.combine(date.fromisoformat(day), datetime.strptime(at, "%H:%M").time())
            except ValueError:
                return _msg(400, "Invalid date or time")
            customers = body.get("customers")
            services = body.get("services")
            if not isinstance(customers, list) or not customers or not all(isinstance(c, dict) for c in customers):
                return _msg(400, "At least one customer is required")
            if not isinstance(services, list) or not services or not all(isinstance(s, dict) for s in services):
                return _msg(400, "At least one service is required")
            ids = [str(s.get("publicId") or "") for s in services]
            unknown = [i for i in ids if i not in self.services]
            if unknown:
                return Response(status_code=500, headers={"error_message": "Service not found"})
            start = wall.replace(tzinfo=ZoneInfo(branch["timeZone"] or "Europe/Amsterdam"))
            extra = len(customers) - 1
            minutes = sum(int(self.services[i]["duration"] or 0) +
                          int(self.services[i]["additionalCustomerDuration"] or 0) * extra for i in ids)
            held = Held(_public_id(), branch_id, start, start + timedelta(minutes=max(minutes, 1)), ids,
                        [self._customer(c) for c in customers], body.get("title"), body.get("notes"),
                        int(time.time() * 1000))
            self.appointments[held.public_id] = held
            return JSONResponse(self._view(held, compact=True))


__all__ = ["API_ROOT", "BOOKED", "DEFAULT_API_KEY", "QmaticSimulator"]
