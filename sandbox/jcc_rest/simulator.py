"""`JccRestSimulator`: JCC G-Plan's warp API v1, the calls the hub's adapter makes, as JCC documents them.

Mounted at `{prefix}` (default `/jcc-rest`); the API root is `{prefix}/api/warp/v1` (JCC's own is
`…/G-Plan/api/api/warp/v1`). Behaviour copied from JCC's public shapes (see `connectors/jcc_rest/models.py`
for the sources), quirks included:

- `POST {root}/connect/token` (form, `grant_type=client_credentials`, client id and secret as HTTP Basic or in
  the form): `{access_token, expires_in, token_type, scope}`; wrong credentials answer 400 `invalid_client`
  as an OAuth2 token endpoint (IdentityServer) does. Every API call needs `Authorization: Bearer` (else 401).
- Times without an offset, local (Europe/Amsterdam) wall-clock time; `creationDateTime` with milliseconds.
  A `fromDateTime` sent WITH an offset is converted to UTC and the offset dropped, so 11:50+02:00 is kept as
  09:50 — the "lost time zone" Open Forms reported (open-formulieren/open-forms#3332).
- `GET location`, `GET activity/listforappointment[?locationId=]`, `GET version`.
- `GET appointment?id=` → the appointment (`activityList: [{amount, activity}]`, `customerList`, `location`);
  an unknown id → 404 in JCC's error shape (assumed: the public sources show no unknown-id answer).
- `POST appointment` → 200 `{id, acknowledgeIsSuccess: true}` with a new GUID; an unknown location or
  activity → 200 `{acknowledgeIsSuccess: false, code, message, validateErrors}` (a refusal inside a 200,
  as JCC's documentation shows the fields); an empty activity id → 500 `InternalException` (JCC answers bad
  input with a 500, as recorded).
- `DELETE appointment?id=` → `{id}`; the appointment is gone afterwards (`GET` → 404); an unknown id → 200
  with a `code` and no `id` (a refusal inside a 200, as Open Forms' tests show).
- `GET appointment/qrcode?id=` → a JSON string (the code's text).
- Errors: `{title, detail, instance, type: "http://www.jccsoftware.nl/rfc7807/<kind>", status, code, errors}`
  as `application/json`.

Sandbox-only (never in JCC): `POST {prefix}/_sandbox/appointments` takes canonical appointments (wire form)
and stores them as JCC would hold them, keeping their ids; `GET {prefix}/_sandbox/appointments` lists what is
held, cancelled ones included. In Python: `put_appointment`, `appointment_status`, `hub_settings`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub.model import Appointment, AppointmentStatus
from sandbox.faults import Faults
from sandbox.framework import CONTROL_PREFIX, Simulator
from sandbox.seeding import install_seeding

API_ROOT = "/api/warp/v1"
DEFAULT_CLIENT_ID = "afsprakenhub"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - a loopback simulator's fixed credential
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_PROBLEM_TYPE = "http://www.jccsoftware.nl/rfc7807/"


def _wall(value: datetime) -> str:
    """Local wall-clock text without offset (JCC's format)."""
    return value.astimezone(AMSTERDAM).replace(tzinfo=None, microsecond=0).isoformat()


def _guid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jcc-rest-sandbox:{seed}"))


@dataclass
class Held:
    """One appointment as JCC holds it (its JSON) and whether it was cancelled (then JCC no longer shows it)."""

    body: dict[str, Any]
    cancelled: bool = False
    qr: str = field(default_factory=lambda: secrets.token_hex(7))


def _problem(status: int, kind: str, detail: str, instance: str, code: int = -1) -> JSONResponse:
    title = "".join(w.capitalize() for w in kind.split("-"))
    return JSONResponse({"title": title, "detail": f"{title}: {detail}", "instance": instance,
                         "type": _PROBLEM_TYPE + kind, "status": status, "code": code,
                         "errors": [{"code": code, "name": title, "detail": detail}]}, status_code=status)


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


class JccRestSimulator(Simulator):
    """JCC G-Plan REST in memory: locations, activities, appointments, tokens."""

    def __init__(self, *, prefix: str = "/jcc-rest", seed: int = 0, faults: Faults | None = None,
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 token_lifetime_s: int = 3600) -> None:
        super().__init__("jcc-rest", prefix, seed=seed, faults=faults)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime_s = token_lifetime_s
        self.locations: dict[str, dict[str, Any]] = {}
        self.activities: dict[str, dict[str, Any]] = {}
        self.appointments: dict[str, Held] = {}
        self._tokens: dict[str, datetime] = {}
        self._number = 1000
        self._lock = threading.RLock()
        self._add_routes()

    # -- URLs and settings ---------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the JCC REST simulator is not served yet; start a SandboxServer with it")
        return self.base_url + API_ROOT

    def hub_settings(self) -> dict[str, str]:
        """The hub's `register.jcc_rest` settings for this simulator (after it is served)."""
        return {"base_url": self.api_url, "token_url": f"{self.api_url}/connect/token",
                "client_id": self.client_id, "client_secret": self.client_secret}

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "clientId": self.client_id, "clientSecret": self.client_secret}
        if self.base_url:
            info.update(apiUrl=self.api_url, tokenUrl=f"{self.api_url}/connect/token")
        return info

    # -- domain API ------------------------------------------------------------------------------
    def add_location(self, location_id: str, description: str, *, street: str | None = None,
                     postal_code: str | None = None, city: str | None = None) -> None:
        """A location (`id` is JCC's GUID in real life; the sandbox keeps any id it is given)."""
        address: dict[str, Any] = {"auditId": _guid("audit:" + location_id), "id": _guid("address:" + location_id),
                                   "country": {"id": _guid("NL"), "isoCode": "NL", "name": "Nederland"}}
        if street:
            name, _, number = street.rpartition(" ")
            address.update(streetName=name or street, houseNumber=number if name else None)
        if postal_code:
            address["postalCode"] = postal_code
        if city:
            address["city"] = city
        with self._lock:
            self.locations[location_id] = {
                "id": location_id, "auditId": _guid("location:" + location_id), "description": description,
                "isActive": True, "isDefault": not self.locations, "locationNumber": len(self.locations) + 1,
                "address": {k: v for k, v in address.items() if v is not None}}

    def seed_example(self) -> None:
        """A small catalogue with JCC-like GUIDs (for `sandbox serve` and a manual `register probe`)."""
        self.add_location(_guid("STW-KP"), "Stadswinkel Koningsplein", street="Koningsplein 1", postal_code="5038 WG",
                          city="Tilburg")
        self.add_location(_guid("MILIEUSTRAAT"), "Milieustraat Tilburg", city="Tilburg")
        self.add_activity(_guid("PASPOORT-AANVRAAG"), "Paspoort aanvragen", duration_s=900)
        self.add_activity(_guid("RIJBEWIJS-OPHALEN"), "Rijbewijs ophalen", duration_s=300)

    def add_activity(self, activity_id: str, description: str, *, duration_s: int = 900) -> None:
        """An activity (product); `appointmentDuration` in seconds."""
        with self._lock:
            self.activities[activity_id] = {
                "id": activity_id, "number": len(self.activities) + 1, "description": description,
                "appointmentDuration": duration_s, "maxCountForEvent": 1}

    def put_appointment(self, appointment: Appointment) -> None:
        """Store a canonical appointment as JCC would hold it (same id; locations/activities added as needed)."""
        with self._lock:
            if appointment.location.id not in self.locations:
                self.add_location(appointment.location.id, appointment.location.name or appointment.location.id)
            for p in appointment.products:
                if p.code not in self.activities:
                    self.add_activity(p.code, p.name or p.code)
            c = appointment.customer
            main: dict[str, Any] = {"id": _guid("customer:" + appointment.id), "isMainCustomer": True, "gender": 0}
            if c is not None and not c.anonymous:
                main.update({k: v for k, v in {
                    "firstName": c.first_name, "initials": c.initials, "lastNamePrefix": c.last_name_prefix,
                    "lastName": c.last_name, "emailAddress": str(c.email) if c.email else None,
                    "phoneNumber": c.phone, "socialSecurityNumber": c.bsn,
                    "birthDate": f"{c.birth_date.isoformat()}T00:00:00" if c.birth_date else None,
                }.items() if v is not None})
            others = [{"id": _guid(f"customer:{appointment.id}:{i}"), "isMainCustomer": False, "gender": 0}
                      for i in range(1, appointment.group_size)]
            body = self._body(appointment.id, appointment.start, appointment.end, appointment.location.id,
                              [(p.code, p.quantity) for p in appointment.products], [main, *others],
                              appointment.notes, appointment.case_reference)
            cancelled = appointment.status == AppointmentStatus.CANCELLED
            self.appointments[appointment.id] = Held(body, cancelled=cancelled)

    def appointment_status(self, appointment_id: str) -> AppointmentStatus | None:
        """`booked` or `cancelled` (JCC knows no other state); None when it never held the appointment."""
        with self._lock:
            held = self.appointments.get(appointment_id)
        if held is None:
            return None
        return AppointmentStatus.CANCELLED if held.cancelled else AppointmentStatus.BOOKED

    def qr_code_of(self, appointment_id: str) -> str | None:
        with self._lock:
            held = self.appointments.get(appointment_id)
        return held.qr if held is not None else None

    def _body(self, appointment_id: str, start: datetime, end: datetime, location_id: str,
              lines: list[tuple[str, int]], customers: list[dict[str, Any]], message: str | None,
              case_id: str | None) -> dict[str, Any]:
        self._number += 1
        loc = self.locations[location_id]
        body: dict[str, Any] = {
            "id": appointment_id, "startDateTime": _wall(start), "endDateTime": _wall(end), "number": self._number,
            "activityList": [{"amount": amount, "activity": self.activities[code]} for code, amount in lines],
            "customerList": customers, "location": {"id": loc["id"], "description": loc["description"]},
            "fieldList": [],
            "creationDateTime": datetime.now(AMSTERDAM).replace(tzinfo=None).isoformat(timespec="milliseconds")}
        if message:
            body["message"] = message
        if case_id:
            body["caseId"] = case_id
        return body

    # -- tokens ----------------------------------------------------------------------------------
    def _issue(self, client_id: str | None, client_secret: str | None) -> str | None:
        ok = secrets.compare_digest((client_id or "").encode(), self.client_id.encode()) and \
            secrets.compare_digest((client_secret or "").encode(), self.client_secret.encode())
        if not ok:
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = datetime.now(UTC) + timedelta(seconds=self.token_lifetime_s)
        return token

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            expires = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expires is not None and datetime.now(UTC) < expires

    def revoke_tokens(self) -> None:
        """Forget every token (the client must fetch a new one)."""
        with self._lock:
            self._tokens.clear()

    # -- routes ----------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        app = self.app
        root = API_ROOT

        @app.post(f"{root}/connect/token")
        async def token(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            basic = _basic(request.headers.get("authorization"))
            if basic is not None:
                client_id, client_secret = basic
            if form.get("grant_type") != "client_credentials":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            issued = self._issue(client_id, client_secret)
            if issued is None:
                return JSONResponse({"error": "invalid_client"}, status_code=400)
            return JSONResponse({"access_token": issued, "expires_in": self.token_lifetime_s,
                                 "token_type": "Bearer", "scope": form.get("scope") or "warp-api"},
                                headers={"Cache-Control": "no-store"})

        def unauthorized() -> Response:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})

        @app.get(f"{root}/version")
        async def version(request: Request) -> Response:
            if not self._authorized(request):
                return unauthorized()
            return JSONResponse({"warpApiVersion": "1.0", "afsprakenVersion": "sandbox"})

        @app.get(f"{root}/location")
        async def locations(request: Request) -> Response:
            if not self._authorized(request):
                return unauthorized()
            with self._lock:
                return JSONResponse(list(self.locations.values()))

        @app.get(f"{root}/location/{{location_id}}")
        async def location(request: Request, location_id: str) -> Response:
            if not self._authorized(request):
                return unauthorized()
            with self._lock:
                loc = self.locations.get(location_id)
            if loc is None:
                return _problem(404, "not-found", "location not found", request.url.path, 404)
            return JSONResponse(loc)

        @app.get(f"{root}/activity/listforappointment")
        async def activities(request: Request, locationId: str | None = None) -> Response:
            if not self._authorized(request):
                return unauthorized()
            with self._lock:
                return JSONResponse(list(self.activities.values()))

        @app.get(f"{root}/appointment")
        async def get_appointment(request: Request, id: str | None = None) -> Response:
            if not self._authorized(request):
                return unauthorized()
            with self._lock:
                held = self.appointments.get(id or "")
            if held is None or held.cancelled:
                return _problem(404, "not-found", "appointment not found", request.url.path, 404)
            return JSONResponse(held.body)

        @app.get(f"{root}/appointment/qrcode")
        async def qr_code(request: Request, id: str | None = None) -> Response:
            if not self._authorized(request):
                return unauthorized()
            with self._lock:
                held = self.appointments.get(id or "")
            if held is None or held.cancelled:
                return _problem(404, "not-found", "appointment not found", request.url.path, 404)
            return JSONResponse(held.qr)

        @app.post(f"{root}/appointment")
        async def create(request: Request) -> Response:
            if not self._authorized(request):
                return unauthorized()
            try:
                body = await request.json()
            except ValueError:
                return _problem(400, "bad-request", "body is not JSON", request.url.path, 400)
            return self._create(body if isinstance(body, dict) else {}, request.url.path)

        @app.delete(f"{root}/appointment")
        async def cancel(request: Request, id: str | None = None) -> Response:
            if not self._authorized(request):
                return unauthorized()
            with self._lock:
                held = self.appointments.get(id or "")
                if held is None:
                    return JSONResponse({"code": 222222, "message": "Appointment not found"})
                held.cancelled = True
            return JSONResponse({"id": id})

        install_seeding(app, self.put_appointment)

        @app.get(f"{CONTROL_PREFIX}/appointments", tags=["sandbox"])
        def held() -> list[dict[str, Any]]:
            with self._lock:
                return [{**h.body, "cancelled": h.cancelled} for h in self.appointments.values()]

    def _create(self, body: dict[str, Any], path: str) -> Response:
        lines = body.get("activityList") or []
        if not isinstance(lines, list) or any(not isinstance(x, dict) or not x.get("activityId") for x in lines):
            return _problem(500, "internal-exception", "code -1", path)
        refusals: list[str] = []
        with self._lock:
            if body.get("locationId") not in self.locations:
                refusals.append("locationId: unknown location")
            refusals += [f"activityList[{i}].activityId: unknown activity"
                         for i, x in enumerate(lines) if x.get("activityId") not in self.activities]
            customers = body.get("customerList")
            if not isinstance(customers, list) or not customers:
                refusals.append("customerList: at least one customer")
            try:
                start = _local(body.get("fromDateTime"))
                end = _local(body.get("toDateTime"))
                if end <= start:
                    refusals.append("toDateTime: must be after fromDateTime")
            except (TypeError, ValueError):
                refusals.append("fromDateTime/toDateTime: not a date-time")
                start = end = datetime.now(AMSTERDAM)
            if refusals:
                return JSONResponse({"acknowledgeIsSuccess": False, "code": 3, "message": "Validation failed",
                                     "validateErrors": refusals, "logLevel": 2})
            appointment_id = str(uuid.uuid4())
            stored = [{**{k: v for k, v in c.items() if v is not None}, "id": str(uuid.uuid4())}
                      for c in (customers or []) if isinstance(c, dict)]
            for c in stored:
                if isinstance(c.get("birthDate"), str) and len(c["birthDate"]) == 10:
                    c["birthDate"] = f"{date.fromisoformat(c['birthDate']).isoformat()}T00:00:00"
            self.appointments[appointment_id] = Held(self._body(
                appointment_id, start, end, str(body["locationId"]),
                [(str(x["activityId"]), int(x.get("amount") or 1)) for x in lines], stored,
                body.get("message") or None, None))
        return JSONResponse({"id": appointment_id, "acknowledgeIsSuccess": True})


def _local(value: object) -> datetime:
    """JCC's reading of a date-time: wall-clock time; an offset is dropped after converting to UTC (the quirk)."""
    if not isinstance(value, str):
        raise TypeError("not text")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(tzinfo=AMSTERDAM)


__all__ = ["API_ROOT", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "JccRestSimulator"]
