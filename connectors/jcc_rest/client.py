"""`JccRestClient`: typed httpx client of JCC G-Plan's warp API v1 (the calls the register adapter needs).

Authentication is OAuth2 client credentials at `connect/token` (client id and secret as HTTP Basic, scope
`warp-api`); every call sends the bearer token and a `language` header. A token is cached until shortly
before it expires; a 401 on a call drops it and the call is tried once with a fresh one. Reads are retried
in-process on transient failures (Retry-After honoured); writes are sent once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx
from pydantic import TypeAdapter

from connectors import vendor_http
from connectors.foundation.oauth2 import (
    TOKEN_CALL,
    ClientCredentials,
    ClientCredentialsAuth,
    Clock,
    TokenRules,
    failed_call,
)
from connectors.jcc_rest.models import Acknowledge, Activity, Appointment, Location, NewAppointment, Version
from connectors.jcc_rest.settings import JccRestSettings
from hub.errors import DeliveryError
from hub.ports.register_errors import AuthFailedError, NotFoundError, RegisterPermanentError

VENDOR = "jcc-rest"
#: Refresh a token this many seconds before it expires (at most half its lifetime).
REFRESH_MARGIN_SECONDS = 30.0
#: JCC's token answer may omit `expires_in`; then a token is kept this long.
DEFAULT_TOKEN_SECONDS = 300.0
Params = Sequence[tuple[str, str | int | bool]]

_LOCATIONS = TypeAdapter(list[Location])
_ACTIVITIES = TypeAdapter(list[Activity])
_TEXT = TypeAdapter(str)


def _refused(response: httpx.Response) -> DeliveryError:
    if response.status_code in (400, 401, 403):
        return AuthFailedError(f"register {VENDOR} token failed: {response.status_code} "
                               f"{vendor_http.problem_title(response)} (check client id, secret and scope)")
    return vendor_http.error_for_response(VENDOR, TOKEN_CALL, response)


TOKEN_RULES = TokenRules(
    refused=_refused, default_lifetime=DEFAULT_TOKEN_SECONDS, refresh_margin=REFRESH_MARGIN_SECONDS,
    unreadable=lambda what: vendor_http.unexpected_shape(VENDOR, TOKEN_CALL, what, "access_token"))


class JccRestClient(vendor_http.VendorClient):
    """JCC G-Plan warp API v1: locations, activities, appointments (read, create, cancel), QR codes."""

    def __init__(self, settings: JccRestSettings, *, http: httpx.Client | None = None,
                 sleep: vendor_http.Sleep = time.sleep, clock: Clock = time.monotonic) -> None:
        super().__init__(settings.base_url, settings.timeout_seconds, settings.max_retries, http=http, sleep=sleep)
        self.settings = settings
        credentials = ClientCredentials(settings.resolved_token_url(), settings.client_id, settings.client_secret,
                                        settings.scope, basic=True)
        self._auth = ClientCredentialsAuth(credentials, TOKEN_RULES, clock=clock)

    # -- plumbing -------------------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token (fetched when none is cached): the probe's authentication step."""
        try:
            return self._auth.token(self._http)
        except httpx.HTTPError as exc:
            raise vendor_http.error_for_exception(VENDOR, TOKEN_CALL, exc) from exc

    def _once(self, call: str, method: str, path: str, params: Params | None, json: object | None) -> httpx.Response:
        try:
            response = self._request(call, method, path, params, json)
            if not response.is_success:
                raise vendor_http.error_for_response(VENDOR, call, response)
        except DeliveryError as exc:
            vendor_http.record(VENDOR, exc)
            raise
        vendor_http.record(VENDOR, None)
        return response

    def _request(self, call: str, method: str, path: str, params: Params | None, json: object | None) -> httpx.Response:
        heads = vendor_http.headers({"language": self.settings.language})
        try:
            return self._http.request(method, self._base + path, params=list(params or ()), json=json,
                                      headers=heads, auth=self._auth)  # a 401 gets one fresh token
        except httpx.HTTPError as exc:
            name = failed_call(exc, call)  # a failed token request is a read, whatever the call
            raise vendor_http.error_for_exception(VENDOR, name, exc, method if name == call else "GET") from exc

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
