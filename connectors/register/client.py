"""`RegisterClient`: the synchronous register client used by flows."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel

from connectors.register import calls
from connectors.register.auth import Clock, Credentials, TokenProvider
from connectors.register.calls import DEFAULT_PAGE_SIZE, Call
from connectors.register.errors import error_for_exception, error_for_response
from connectors.register.http import MAX_INLINE_RETRY_AFTER, Sleep, record, request_headers, retrying
from connectors.register.models import (
    BatchResult,
    Counter,
    Employee,
    Location,
    Page,
    Product,
    Room,
    StaffingBlock,
    UnavailabilityBlock,
    UpsertResult,
)
from hub.errors import DeliveryError
from hub.model import Appointment, AppointmentStatus
from hub.outbound import http_client
from hub.settings import RegisterSettings

M = TypeVar("M", bound=BaseModel)


def credentials_of(settings: RegisterSettings) -> Credentials:
    return Credentials(settings.token_url, settings.client_id, settings.client_secret, settings.scope)


class RegisterClient:
    """Typed, retrying client of the register API (see contract_tests/register/openapi.yaml).

    Transient failures (timeouts, connection errors, 429, 5xx) are retried up to `max_retries` times,
    honouring Retry-After; what is left is raised as `hub.errors.TransientError` or `PermanentError`.
    """

    def __init__(self, base_url: str, credentials: Credentials, *, timeout: float = 10.0,
                 max_retries: int = 4, http: httpx.Client | None = None, sleep: Sleep = time.sleep,
                 clock: Clock = time.monotonic, max_inline_retry_after: float = MAX_INLINE_RETRY_AFTER) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = http or http_client("register", timeout=httpx.Timeout(timeout))
        self._owns_http = http is None
        self._tokens = TokenProvider(credentials, self._http, clock=clock)
        self._retrying = retrying(max_retries, sleep, max_inline_retry_after)

    @classmethod
    def from_settings(cls, settings: RegisterSettings, **kwargs: Any) -> Self:
        """A client configured from `Settings.register_api`; kwargs override (e.g. `sleep`, `http`)."""
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        return cls(settings.base_url, credentials_of(settings), **kwargs)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _send_once(self, call: Call, token: str) -> httpx.Response:
        try:
            return self._http.request(call.method, self._base_url + call.path, params=call.params,
                                      json=call.json, headers=request_headers(call, token))
        except httpx.HTTPError as exc:
            raise error_for_exception(call.name, exc) from exc

    def _attempt(self, call: Call) -> httpx.Response:
        try:
            token = self._tokens.token()
            response = self._send_once(call, token)
            if response.status_code == 401:  # token revoked or expired early: refresh once
                self._tokens.invalidate(token)
                response = self._send_once(call, self._tokens.token())
            if not response.is_success:
                raise error_for_response(call.name, response)
        except DeliveryError as exc:
            record(exc)
            raise
        record(None)
        return response

    def send(self, call: Call) -> httpx.Response:
        """Send `call` with retries; the 2xx response or the final DeliveryError."""
        return self._retrying.copy()(self._attempt, call)

    def _pages(self, name: str, path: str, params: Mapping[str, str], item: type[M],
               page_size: int) -> Iterator[M]:
        cursor: str | None = None
        while True:
            call = calls.page_call(name, path, params, cursor, page_size)
            page = calls.parse_page(call, self.send(call), item)
            yield from page.items
            cursor = calls.next_cursor(call, page)
            if cursor is None:
                return

    def _batch(self, name: str, path: str, upsert: Sequence[calls.Block], delete: Sequence[str]) -> BatchResult:
        total = BatchResult()
        for call in calls.batch_calls(name, path, upsert, delete):
            total += calls.parse_model(call, self.send(call), BatchResult)
        return total

    # -- appointments ---------------------------------------------------------------------------

    def get_appointment(self, appointment_id: str) -> Appointment:
        """One appointment; NotFoundError (a PermanentError) when it does not exist."""
        call = calls.get_appointment(appointment_id)
        return calls.parse_model(call, self.send(call), Appointment)

    def appointments_page(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE,
                          **filters: Any) -> Page[Appointment]:
        """One page of appointments; `filters` as for `list_appointments`."""
        call = calls.page_call("list_appointments", "/appointments", calls.appointment_filters(**filters),
                               cursor, limit)
        return calls.parse_page(call, self.send(call), Appointment)

    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          updated_since: datetime | None = None, external_id: str | None = None,
                          case_reference: str | None = None, customer_bsn: str | None = None,
                          location_id: str | None = None, status: AppointmentStatus | str | None = None,
                          page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Appointment]:
        """All matching appointments, following the cursor across pages lazily."""
        params = calls.appointment_filters(
            from_=from_, to=to, updated_since=updated_since, external_id=external_id,
            case_reference=case_reference, customer_bsn=customer_bsn, location_id=location_id, status=status)
        return self._pages("list_appointments", "/appointments", params, Appointment, page_size)

    def find_by_external_id(self, external_id: str) -> Appointment | None:
        """The appointment with this externalId, or None."""
        return next(iter(self.list_appointments(external_id=external_id, page_size=1)), None)

    def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        """Every appointment of one case (zaak)."""
        return list(self.list_appointments(case_reference=case_reference))

    def upsert_appointment(self, external_id: str, data: Appointment | Mapping[str, Any],
                           notify_customer: bool = True, idempotency_key: str | None = None,
                           if_match: str | int | None = None) -> UpsertResult:
        """Create or update by externalId. `data` is an Appointment or its wire (camelCase) form.

        Without `idempotency_key` one is derived from externalId and content, so a retried or
        repeated push of the same content is replayed by the register. `if_match` is an ETag or a
        version number; a mismatch raises PreconditionFailedError.
        """
        call = calls.upsert_appointment(external_id, data, notify_customer, idempotency_key, if_match)
        return calls.parse_upsert(call, self.send(call))

    def _status(self, action: calls.StatusAction, appointment_id: str, reason: str | None,
                notify_customer: bool, if_match: str | int | None) -> Appointment:
        call = calls.status_change(action, appointment_id, reason, notify_customer, if_match)
        return calls.parse_model(call, self.send(call), Appointment)

    def complete_appointment(self, appointment_id: str, reason: str | None = None, notify_customer: bool = True,
                             if_match: str | int | None = None) -> Appointment:
        """Mark completed (idempotent); ConflictError when not allowed from the current status."""
        return self._status("complete", appointment_id, reason, notify_customer, if_match)

    def close_appointment(self, appointment_id: str, reason: str | None = None, notify_customer: bool = True,
                          if_match: str | int | None = None) -> Appointment:
        """Close (idempotent), e.g. because its case was closed; emits no webhook event."""
        return self._status("close", appointment_id, reason, notify_customer, if_match)

    def cancel_appointment(self, appointment_id: str, reason: str | None = None, notify_customer: bool = True,
                           if_match: str | int | None = None) -> Appointment:
        """Cancel (idempotent); ConflictError when not allowed from the current status."""
        return self._status("cancel", appointment_id, reason, notify_customer, if_match)

    def check_in_appointment(self, appointment_id: str, reason: str | None = None, notify_customer: bool = False,
                             if_match: str | int | None = None) -> Appointment:
        """Mark checked in, e.g. at a waste-depot gate (idempotent); ConflictError when not allowed from the
        current status."""
        return self._status("check-in", appointment_id, reason, notify_customer, if_match)

    # -- resources ------------------------------------------------------------------------------

    def list_products(self) -> list[Product]:
        return list(self._pages("list_products", "/products", {}, Product, calls.BATCH_SIZE))

    def list_locations(self) -> list[Location]:
        return list(self._pages("list_locations", "/locations", {}, Location, calls.BATCH_SIZE))

    def list_counters(self) -> list[Counter]:
        return list(self._pages("list_counters", "/counters", {}, Counter, calls.BATCH_SIZE))

    def list_rooms(self) -> list[Room]:
        return list(self._pages("list_rooms", "/rooms", {}, Room, calls.BATCH_SIZE))

    def list_employees(self) -> list[Employee]:
        return list(self._pages("list_employees", "/employees", {}, Employee, calls.BATCH_SIZE))

    # -- staffing and unavailability ------------------------------------------------------------

    def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                             resource_id: str | None = None, location_id: str | None = None) -> list[StaffingBlock]:
        params = calls.query(**{"from": from_, "to": to, "resourceId": resource_id, "locationId": location_id})
        return list(self._pages("list_staffing_blocks", "/staffing-blocks", params, StaffingBlock,
                                calls.BATCH_SIZE))

    def batch_staffing_blocks(self, upsert: Sequence[StaffingBlock] = (),
                              delete: Sequence[str] = ()) -> BatchResult:
        """Upsert and delete staffing blocks, in requests of at most 500 each; counts summed."""
        return self._batch("batch_staffing_blocks", "/staffing-blocks/batch", upsert, delete)

    def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   employee_id: str | None = None) -> list[UnavailabilityBlock]:
        params = calls.query(**{"from": from_, "to": to, "employeeId": employee_id})
        return list(self._pages("list_unavailability_blocks", "/unavailability-blocks", params,
                                UnavailabilityBlock, calls.BATCH_SIZE))

    def batch_unavailability_blocks(self, upsert: Sequence[UnavailabilityBlock] = (),
                                    delete: Sequence[str] = ()) -> BatchResult:
        """Upsert and delete unavailability blocks, in requests of at most 500 each; counts summed."""
        return self._batch("batch_unavailability_blocks", "/unavailability-blocks/batch", upsert, delete)
