"""`JccRestClient`: typed httpx client of JCC G-Plan's warp API v1 (the calls the register adapter needs).

Authentication is OAuth2 client credentials at `connect/token` (client id and secret as HTTP Basic, scope
`warp-api`); every call sends the bearer token and a `language` header. A token is cached until shortly
before it expires; a 401 on a call drops it and the call is tried once with a fresh one. Reads are retried
in-process on transient failures (Retry-After honoured); writes are sent once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import httpx
from pydantic import TypeAdapter

from connectors import vendor_http
from connectors.jcc_rest.models import Acknowledge, Activity, Appointment, Location, NewAppointment, Version
from connectors.jcc_rest.settings import JccRestSettings
from hub.errors import DeliveryError
from hub.ports.register_errors import AuthFailedError, NotFoundError, RegisterPermanentError

VENDOR = "jcc-rest"
#: Refresh a token this many seconds before it expires (at most half its lifetime).
REFRESH_MARGIN_SECONDS = 30.0
#: JCC's token answer may omit `expires_in`; then a token is kept this long.
DEFAULT_TOKEN_SECONDS = 300.0
Clock = Callable[[], float]
Params = Sequence[tuple[str, str | int | bool]]

_LOCATIONS = TypeAdapter(list[Location])
_ACTIVITIES = TypeAdapter(list[Activity])
_TEXT = TypeAdapter(str)


class _Tokens:
    """A thread-safe cache of one access token."""

    def __init__(self, settings: JccRestSettings, http: httpx.Client, clock: Clock) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._value: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if self._value is None or self._clock() >= self._refresh_at:
                self._value, lifetime = self._fetch()
                self._refresh_at = self._clock() + lifetime - min(REFRESH_MARGIN_SECONDS, lifetime / 2)
            return self._value

    def drop(self, refused: str) -> None:
        with self._lock:
            if self._value == refused:
                self._value = None

    def _fetch(self) -> tuple[str, float]:
        s = self._settings
        try:
            response = self._http.post(
                s.resolved_token_url(), data={"grant_type": "client_credentials", "scope": s.scope},
                auth=(s.client_id, s.client_secret.get_secret_value()), headers=vendor_http.headers())
        except httpx.HTTPError as exc:
            raise vendor_http.error_for_exception(VENDOR, "token", exc) from exc
        if response.status_code in (400, 401, 403):
            raise AuthFailedError(f"register {VENDOR} token failed: {response.status_code} "
                                  f"{vendor_http.problem_title(response)} (check client id, secret and scope)")
        if not response.is_success:
            raise vendor_http.error_for_response(VENDOR, "token", response)
        try:
            body = response.json()
        except ValueError:
            raise vendor_http.unexpected_shape(VENDOR, "token", "not JSON", "access_token") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise vendor_http.unexpected_shape(VENDOR, "token", "no access_token", "access_token")
        expires = body.get("expires_in")
        lifetime = float(expires) if isinstance(expires, int | float) and expires > 0 else DEFAULT_TOKEN_SECONDS
        return token, lifetime


class JccRestClient(vendor_http.VendorClient):
    """JCC G-Plan warp API v1: locations, activities, appointments (read, create, cancel), QR codes."""

    def __init__(self, settings: JccRestSettings, *, http: httpx.Client | None = None,
                 sleep: vendor_http.Sleep = time.sleep, clock: Clock = time.monotonic) -> None:
        super().__init__(settings.base_url, settings.timeout_seconds, settings.max_retries, http=http, sleep=sleep)
        self.settings = settings
        self._tokens = _Tokens(settings, self._http, clock)

    # -- plumbing -------------------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token (fetched when none is cached): the probe's authentication step."""
        return self._tokens.get()

    def _once(self, call: str, method: str, path: str, params: Params | None, json: object | None) -> httpx.Response:
        try:
            token = self._tokens.get()
            response = self._request(call, method, path, params, json, token)
            if response.status_code == 401:  # token expired or revoked early: one fresh token
                self._tokens.drop(token)
                response = self._request(call, method, path, params, json, self._tokens.get())
            if not response.is_success:
                raise vendor_http.error_for_response(VENDOR, call, response)
        except DeliveryError as exc:
            vendor_http.record(VENDOR, exc)
            raise
        vendor_http.record(VENDOR, None)
        return response

    def _request(self, call: str, method: str, path: str, params: Params | None, json: object | None,
                 token: str) -> httpx.Response:
        heads = vendor_http.headers({"Authorization": f"Bearer {token}", "language": self.settings.language})
        try:
            return self._http.request(method, self._base + path, params=list(params or ()), json=json,
                                      headers=heads)
        except httpx.HTTPError as exc:
            raise vendor_http.error_for_exception(VENDOR, call, exc, method) from exc

    def _read(self, call: str, path: str, params: Params | None = None) -> httpx.Response:
        return self._retrying.copy()(self._once, call, "GET", path, params, None)

    # -- calls ----------------------------------------------------------------------------------

    def version(self) -> Version:
        """`GET version`: the API's and the product's version."""
        return vendor_http.parse(VENDOR, "version", self._read("version", "version"), Version)

    def locations(self) -> list[Location]:
        """`GET location`: every location."""
        return vendor_http.parse_as(VENDOR, "locations", self._read("locations", "location"), _LOCATIONS)

    def activities(self, location_id: str | None = None) -> list[Activity]:
        """`GET activity/listforappointment[?locationId=]`: the activities (products) one can book."""
        params = [("locationId", location_id)] if location_id else []
        response = self._read("activities", "activity/listforappointment", params)
        return vendor_http.parse_as(VENDOR, "activities", response, _ACTIVITIES)

    def appointment(self, appointment_id: str) -> Appointment:
        """`GET appointment?id=`: one appointment; NotFoundError when JCC does not know it."""
        response = self._read("get appointment", "appointment", [("id", appointment_id)])
        if not response.content.strip() or response.content.strip() == b"null":
            raise NotFoundError(f"register {VENDOR} get appointment failed: 200 without an appointment")
        return vendor_http.parse(VENDOR, "get appointment", response, Appointment)

    def create(self, new: NewAppointment) -> str:
        """`POST appointment`: the new appointment's id. A 200 with `acknowledgeIsSuccess: false` is a refusal."""
        response = self._once("create appointment", "POST", "appointment", None, new.body())
        ack = vendor_http.parse(VENDOR, "create appointment", response, Acknowledge)
        if ack.acknowledge_is_success is not True or not ack.id:
            raise _refusal("create appointment", ack)
        return ack.id

    def cancel(self, appointment_id: str) -> None:
        """`DELETE appointment?id=`: cancel; a 200 with a `code` (and no `id`) is a refusal."""
        response = self._once("cancel appointment", "DELETE", "appointment", [("id", appointment_id)], None)
        ack = vendor_http.parse(VENDOR, "cancel appointment", response, Acknowledge)
        if ack.code is not None or ack.acknowledge_is_success is False or ack.id is None:
            raise _refusal("cancel appointment", ack)

    def qr_code(self, appointment_id: str) -> str:
        """`GET appointment/qrcode?id=`: the QR code's text (a JSON string)."""
        response = self._read("qr code", "appointment/qrcode", [("id", appointment_id)])
        value = vendor_http.parse_as(VENDOR, "qr code", response, _TEXT)
        if not value:
            raise vendor_http.unexpected_shape(VENDOR, "qr code", "empty QR code")
        return value


def _refusal(call: str, ack: Acknowledge) -> RegisterPermanentError:
    """JCC said no inside a 200: the code and how many validation errors (their texts may hold personal data)."""
    errors = f", {len(ack.validate_errors)} validation error(s)" if ack.validate_errors else ""
    return RegisterPermanentError(f"register {VENDOR} {call} failed: refused with code {ack.code}{errors}")


__all__ = ["VENDOR", "JccRestClient"]
