"""`RegisterClient`: the synchronous register client used by flows (operations in `connectors.register.operations`)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Self, TypeVar, Unpack

import httpx
from pydantic import BaseModel

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.oauth2 import TOKEN_CALL
from connectors.foundation.peer_calls import counted
from connectors.foundation.retry import Sleep, retrying
from connectors.register import calls, models
from connectors.register import operations as ops
from connectors.register.auth import Clock, Credentials
from connectors.register.calls import DEFAULT_PAGE_SIZE, Call
from connectors.register.errors import CONNECTOR, error_for_exception
from connectors.register.http import MAX_INLINE_RETRY_AFTER, RegisterHttp
from hub.model import Appointment
from hub.settings import RegisterSettings

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


def credentials_of(settings: RegisterSettings) -> Credentials:
    return Credentials(settings.token_url, settings.client_id, settings.client_secret, settings.scope)


class RegisterClient(RegisterHttp, HttpLifecycle):
    """Typed, retrying client of the register API (see contract_tests/register/openapi.yaml).

    Transient failures (timeouts, connection errors, 429, 5xx) are retried up to `max_retries` times,
    honouring Retry-After; what is left is raised as `hub.errors.TransientError` or `PermanentError`.
    """

    def __init__(self, base_url: str, credentials: Credentials, *, timeout: float = 10.0,
                 max_retries: int = 4, http: httpx.Client | None = None, sleep: Sleep = time.sleep,
                 clock: Clock = time.monotonic, max_inline_retry_after: float = MAX_INLINE_RETRY_AFTER) -> None:
        RegisterHttp.__init__(self, base_url, credentials, max_retries=max_retries, clock=clock,
                              max_inline_retry_after=max_inline_retry_after)
        HttpLifecycle.__init__(self, "register", http, timeout=httpx.Timeout(timeout))
        self._retrying = retrying(self._policy, sleep)

    @classmethod
    def from_settings(cls, settings: RegisterSettings, **kwargs: Any) -> Self:
        """A client configured from `Settings.register_api`; kwargs override (e.g. `sleep`, `http`)."""
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        return cls(settings.base_url, credentials_of(settings), **kwargs)

    # -- plumbing -------------------------------------------------------------------------------

    def _attempt(self, call: Call) -> httpx.Response:
        with counted(CONNECTOR):
            try:
                response = self._http.send(self._build(self._http, call), auth=self._auth)
            except httpx.HTTPError as exc:
                raise self._unanswered(call, exc) from exc
            return self._checked(call, response)

    def send(self, call: Call) -> httpx.Response:
        """Send `call` with retries; the 2xx response or the final DeliveryError."""
        return self._retrying.copy()(self._attempt, call)

    def token(self) -> str:
        """A valid access token, asked for when none is cached (the probe's authentication step)."""
        try:
            return self._auth.token(self._http)
        except httpx.HTTPError as exc:
            raise error_for_exception(TOKEN_CALL, exc) from exc

    def _run(self, op: ops.Op[R]) -> R:
        """Drive an operation: its calls one after another."""
        try:
            step = next(op)
            while True:
                step = op.send([self.send(call) for call in step])
        except StopIteration as done:
            return done.value

    def _pages(self, name: str, path: str, params: Mapping[str, str], item: type[M],
               page_size: int) -> Iterator[M]:
        cursor: str | None = None
        while True:
            items, cursor = self._run(ops.next_page(name, path, params, cursor, page_size, item))
            yield from items
            if cursor is None:
                return

    # -- appointments ---------------------------------------------------------------------------

    def get_appointment(self, appointment_id: str) -> Appointment:
        """One appointment; NotFoundError (a PermanentError) when it does not exist."""
        return self._run(ops.get_appointment(appointment_id))

    def appointments_page(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE,
                          **filters: Unpack[calls.AppointmentFilters]) -> models.Page[Appointment]:
        """One page of appointments; `filters` as for `list_appointments`."""
        return self._run(ops.page("list_appointments", "/appointments", calls.appointment_filters(**filters),
                                  cursor, limit, Appointment))

    def list_appointments(self, *, page_size: int = DEFAULT_PAGE_SIZE,
                          **filters: Unpack[calls.AppointmentFilters]) -> Iterator[Appointment]:
        """All matching appointments, following the cursor across pages lazily."""
        params = calls.appointment_filters(**filters)
        return self._pages("list_appointments", "/appointments", params, Appointment, page_size)

    def find_by_external_id(self, external_id: str) -> Appointment | None:
        """The appointment with this externalId, or None."""
        return next(iter(self.list_appointments(external_id=external_id, page_size=1)), None)

    def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        """Every appointment of one case (zaak)."""
        return list(self.list_appointments(case_reference=case_reference))

    def upsert_appointment(self, external_id: str, data: Appointment | Mapping[str, Any],
                           notify_customer: bool = True, idempotency_key: str | None = None,
                           if_match: str | int | None = None) -> models.UpsertResult:
        """Create or update by externalId. `data` is an Appointment or its wire (camelCase) form.

        Without `idempotency_key` one is derived from externalId and content, so a retried or
        repeated push of the same content is replayed by the register. `if_match` is an ETag or a
        version number; a mismatch raises PreconditionFailedError.
        """
        return self._run(ops.upsert_appointment(external_id, data, notify_customer, idempotency_key, if_match))

    def _status(self, action: calls.StatusAction, appointment_id: str, reason: str | None,
                notify_customer: bool, if_match: str | int | None) -> Appointment:
        return self._run(ops.status(action, appointment_id, reason, notify_customer, if_match))

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

    def list_products(self) -> list[models.Product]:
        return self._run(ops.resources("products", models.Product))

    def list_locations(self) -> list[models.Location]:
        return self._run(ops.resources("locations", models.Location))

    def list_counters(self) -> list[models.Counter]:
        return self._run(ops.resources("counters", models.Counter))

    def list_rooms(self) -> list[models.Room]:
        return self._run(ops.resources("rooms", models.Room))

    def list_employees(self) -> list[models.Employee]:
        return self._run(ops.resources("employees", models.Employee))

    # -- staffing and unavailability ------------------------------------------------------------

    def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                             resource_id: str | None = None,
                             location_id: str | None = None) -> list[models.StaffingBlock]:
        return self._run(ops.staffing_blocks(from_, to, resource_id, location_id))

    def batch_staffing_blocks(self, upsert: Sequence[models.StaffingBlock] = (),
                              delete: Sequence[str] = ()) -> models.BatchResult:
        """Upsert and delete staffing blocks, in requests of at most 500 each; counts summed."""
        return self._run(ops.batch("batch_staffing_blocks", "/staffing-blocks/batch", upsert, delete))

    def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   employee_id: str | None = None) -> list[models.UnavailabilityBlock]:
        return self._run(ops.unavailability_blocks(from_, to, employee_id))

    def batch_unavailability_blocks(self, upsert: Sequence[models.UnavailabilityBlock] = (),
                                    delete: Sequence[str] = ()) -> models.BatchResult:
        """Upsert and delete unavailability blocks, in requests of at most 500 each; counts summed."""
        return self._run(ops.batch("batch_unavailability_blocks", "/unavailability-blocks/batch", upsert, delete))
