"""`QmaticClient`: typed httpx client of the Qmatic Orchestra Calendar public API (v1 and v2 paths).

Every request carries the API key in `X-Api-Key`. Reads are retried in-process on transient failures
(Retry-After honoured); writes are sent once. A 500's reason may come in an `error_message` header.
"""

from __future__ import annotations

import time
from datetime import date
from datetime import time as clock_time
from urllib.parse import quote

import httpx

from connectors import vendor_http
from connectors.qmatic.models import (
    Appointment,
    AppointmentEnvelope,
    Branch,
    BranchEnvelope,
    BranchList,
    NewBooking,
    Service,
    ServiceList,
)
from connectors.qmatic.settings import QmaticSettings
from hub.errors import DeliveryError
from hub.logging import redact_text

VENDOR = "qmatic"
_MAX_TITLE = 120


def _segment(value: str) -> str:
    """A path segment: ids are hexadecimal, but nothing a caller passes may change the path."""
    return quote(value, safe="")


class QmaticClient(vendor_http.VendorClient):
    """Qmatic Calendar public API: branches, services, appointments (read, book, cancel by public id)."""

    def __init__(self, settings: QmaticSettings, *, http: httpx.Client | None = None,
                 sleep: vendor_http.Sleep = time.sleep) -> None:
        super().__init__(settings.base_url, settings.timeout_seconds, settings.max_retries, http=http, sleep=sleep)
        self.settings = settings

    # -- plumbing -------------------------------------------------------------------------------

    def _once(self, call: str, method: str, path: str, json: object | None = None) -> httpx.Response:
        heads = vendor_http.headers({"X-Api-Key": self.settings.api_key.get_secret_value()})
        try:
            try:
                response = self._http.request(method, self._base + path, json=json, headers=heads)
            except httpx.HTTPError as exc:
                raise vendor_http.error_for_exception(VENDOR, call, exc, method) from exc
            if not response.is_success:
                header = response.headers.get("error_message")
                title = redact_text(header.strip())[:_MAX_TITLE] if header and header.strip() else None
                raise vendor_http.error_for_response(VENDOR, call, response, title)
        except DeliveryError as exc:
            vendor_http.record(VENDOR, exc)
            raise
        vendor_http.record(VENDOR, None)
        return response

    def _read(self, call: str, path: str) -> httpx.Response:
        return self._retrying.copy()(self._once, call, "GET", path)

    # -- calls ----------------------------------------------------------------------------------

    def branches(self) -> list[Branch]:
        """`GET v1/branches`: every branch (location)."""
        return vendor_http.parse(VENDOR, "branches", self._read("branches", "v1/branches"), BranchList).branch_list

    def branch(self, branch_id: str) -> Branch:
        """`GET v1/branches/{publicId}`: one branch with its time zone."""
        response = self._read("branch", f"v1/branches/{_segment(branch_id)}")
        return vendor_http.parse(VENDOR, "branch", response, BranchEnvelope).branch

    def services(self) -> list[Service]:
        """`GET v1/services`: every service (product)."""
        return vendor_http.parse(VENDOR, "services", self._read("services", "v1/services"), ServiceList).service_list

    def appointment(self, public_id: str) -> Appointment:
        """`GET v1/appointments/{publicId}`: one appointment; NotFoundError when unknown."""
        response = self._read("get appointment", f"v1/appointments/{_segment(public_id)}")
        return vendor_http.parse(VENDOR, "get appointment", response, AppointmentEnvelope).appointment

    def book(self, branch_id: str, day: date, at: clock_time, booking: NewBooking) -> Appointment:
        """`POST v2/branches/{b}/dates/{YYYY-MM-DD}/times/{HH:MM}/book`: the booked appointment.

        `day` and `at` are the branch's wall-clock date and time (no offset in the path).
        """
        path = f"v2/branches/{_segment(branch_id)}/dates/{day.isoformat()}/times/{at.strftime('%H:%M')}/book"
        response = self._once("book", "POST", path, booking.body())
        return vendor_http.parse(VENDOR, "book", response, Appointment)

    def cancel(self, public_id: str) -> None:
        """`DELETE v1/appointments/{publicId}`: cancel; NotFoundError when unknown."""
        self._once("cancel appointment", "DELETE", f"v1/appointments/{_segment(public_id)}")


__all__ = ["VENDOR", "QmaticClient"]
