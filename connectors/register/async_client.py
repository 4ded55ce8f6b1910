"""`AsyncRegisterClient`: the async register client for bulk work (migration loads, batch pushes).

It drives the same operations as `RegisterClient` (`connectors.register.operations`); the calls of one step
(a batch's chunks) go concurrently. At most `max_concurrency` requests are in flight at once (a semaphore
around each HTTP attempt, so backoff sleeps do not hold a slot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Self, TypeVar, Unpack

import httpx
from pydantic import BaseModel

from connectors.foundation.lifecycle import AsyncHttpLifecycle
from connectors.foundation.peer_calls import counted
from connectors.foundation.retry import AsyncSleep, async_retrying
from connectors.register import calls, models
from connectors.register import operations as ops
from connectors.register.auth import Clock, Credentials
from connectors.register.calls import DEFAULT_PAGE_SIZE, Call
from connectors.register.client import credentials_of
from connectors.register.errors import CONNECTOR
from connectors.register.http import MAX_INLINE_RETRY_AFTER, RegisterHttp
from hub.errors import DeliveryError
from hub.model import Appointment
from hub.settings import RegisterSettings

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


class AsyncRegisterClient(RegisterHttp, AsyncHttpLifecycle):
    """Async twin of `RegisterClient` with bounded concurrency; same operations, errors and retries."""

    def __init__(self, base_url: str, credentials: Credentials, *, timeout: float = 10.0,
                 max_retries: int = 4, max_concurrency: int = 8, http: httpx.AsyncClient | None = None,
                 sleep: AsyncSleep = asyncio.sleep, clock: Clock = time.monotonic,
                 max_inline_retry_after: float = MAX_INLINE_RETRY_AFTER, owns_http: bool | None = None) -> None:
        """`owns_http`: close `http` with this client (default: only the client it made itself)."""
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        RegisterHttp.__init__(self, base_url, credentials, max_retries=max_retries, clock=clock,
                              max_inline_retry_after=max_inline_retry_after)
        AsyncHttpLifecycle.__init__(self, "register", http, owns_http=owns_http, timeout=httpx.Timeout(timeout),
                                    limits=httpx.Limits(max_connections=max_concurrency))
        self._retrying = async_retrying(self._policy, sleep)
        self._slots = asyncio.Semaphore(max_concurrency)
        self.max_concurrency = max_concurrency

    @classmethod
    def from_settings(cls, settings: RegisterSettings, **kwargs: Any) -> Self:
        """A client configured from `Settings.register_api`; kwargs override."""
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        kwargs.setdefault("max_concurrency", settings.max_concurrency)
        return cls(settings.base_url, credentials_of(settings), **kwargs)

    # -- plumbing -------------------------------------------------------------------------------

    async def _attempt(self, call: Call) -> httpx.Response:
        async with self._slots:
            with counted(CONNECTOR):
                try:
                    response = await self._http.send(self._build(self._http, call), auth=self._auth)
                except httpx.HTTPError as exc:
                    raise self._unanswered(call, exc) from exc
                return self._checked(call, response)

    async def send(self, call: Call) -> httpx.Response:
        """Send `call` with retries; the 2xx response or the final DeliveryError."""
        return await self._retrying.copy()(self._attempt, call)  # per-call state: tasks share a thread

    async def _run(self, op: ops.Op[R]) -> R:
        """Drive an operation: the calls of one step concurrently."""
        try:
            step = next(op)
            while True:
                step = op.send(list(await asyncio.gather(*(self.send(call) for call in step))))
        except StopIteration as done:
            return done.value

    async def _pages(self, name: str, path: str, params: Mapping[str, str], item: type[M],
                     page_size: int) -> AsyncIterator[M]:
        cursor: str | None = None
        while True:
            items, cursor = await self._run(ops.next_page(name, path, params, cursor, page_size, item))
            for entry in items:
                yield entry
            if cursor is None:
                return

    # -- appointments ---------------------------------------------------------------------------

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self._run(ops.get_appointment(appointment_id))

    async def appointments_page(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE,
                                **filters: Unpack[calls.AppointmentFilters]) -> models.Page[Appointment]:
        return await self._run(ops.page("list_appointments", "/appointments", calls.appointment_filters(**filters),
                                        cursor, limit, Appointment))

    def list_appointments(self, *, page_size: int = DEFAULT_PAGE_SIZE,
                          **filters: Unpack[calls.AppointmentFilters]) -> AsyncIterator[Appointment]:
        """All matching appointments (`async for`), following the cursor across pages."""
        params = calls.appointment_filters(**filters)
        return self._pages("list_appointments", "/appointments", params, Appointment, page_size)

    async def find_by_external_id(self, external_id: str) -> Appointment | None:
        page = await self.appointments_page(external_id=external_id, limit=1)
        return page.items[0] if page.items else None

    async def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        return [a async for a in self.list_appointments(case_reference=case_reference)]

    async def upsert_appointment(self, external_id: str, data: Appointment | Mapping[str, Any],
                                 notify_customer: bool = True, idempotency_key: str | None = None,
                                 if_match: str | int | None = None) -> models.UpsertResult:
        """As `RegisterClient.upsert_appointment`."""
        return await self._run(ops.upsert_appointment(external_id, data, notify_customer, idempotency_key,
                                                      if_match))

    async def upsert_appointments(self, items: Iterable[tuple[str, Appointment | Mapping[str, Any]]],
                                  notify_customer: bool = False) -> list[models.UpsertResult | DeliveryError]:
        """Upsert many (a migration load) concurrently; per item its result or its DeliveryError."""
        async def one(external_id: str, data: Appointment | Mapping[str, Any]) -> models.UpsertResult | DeliveryError:
            try:
                return await self.upsert_appointment(external_id, data, notify_customer)
            except DeliveryError as exc:
                return exc

        return list(await asyncio.gather(*(one(eid, data) for eid, data in items)))

    async def _status(self, action: calls.StatusAction, appointment_id: str, reason: str | None,
                      notify_customer: bool, if_match: str | int | None) -> Appointment:
        return await self._run(ops.status(action, appointment_id, reason, notify_customer, if_match))

    async def complete_appointment(self, appointment_id: str, reason: str | None = None,
                                   notify_customer: bool = True, if_match: str | int | None = None) -> Appointment:
        return await self._status("complete", appointment_id, reason, notify_customer, if_match)

    async def close_appointment(self, appointment_id: str, reason: str | None = None,
                                notify_customer: bool = True, if_match: str | int | None = None) -> Appointment:
        return await self._status("close", appointment_id, reason, notify_customer, if_match)

    async def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                                 notify_customer: bool = True, if_match: str | int | None = None) -> Appointment:
        return await self._status("cancel", appointment_id, reason, notify_customer, if_match)

    # -- resources ------------------------------------------------------------------------------

    async def list_products(self) -> list[models.Product]:
        return await self._run(ops.resources("products", models.Product))

    async def list_locations(self) -> list[models.Location]:
        return await self._run(ops.resources("locations", models.Location))

    async def list_counters(self) -> list[models.Counter]:
        return await self._run(ops.resources("counters", models.Counter))

    async def list_rooms(self) -> list[models.Room]:
        return await self._run(ops.resources("rooms", models.Room))

    async def list_employees(self) -> list[models.Employee]:
        return await self._run(ops.resources("employees", models.Employee))

    # -- staffing and unavailability ------------------------------------------------------------

    async def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   resource_id: str | None = None,
                                   location_id: str | None = None) -> list[models.StaffingBlock]:
        return await self._run(ops.staffing_blocks(from_, to, resource_id, location_id))

    async def batch_staffing_blocks(self, upsert: Sequence[models.StaffingBlock] = (),
                                    delete: Sequence[str] = ()) -> models.BatchResult:
        """Upsert and delete in chunks of 500, the chunks concurrently; counts summed."""
        return await self._run(ops.batch("batch_staffing_blocks", "/staffing-blocks/batch", upsert, delete))

    async def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                         employee_id: str | None = None) -> list[models.UnavailabilityBlock]:
        return await self._run(ops.unavailability_blocks(from_, to, employee_id))

    async def batch_unavailability_blocks(self, upsert: Sequence[models.UnavailabilityBlock] = (),
                                          delete: Sequence[str] = ()) -> models.BatchResult:
        """Upsert and delete in chunks of 500, the chunks concurrently; counts summed."""
        return await self._run(ops.batch("batch_unavailability_blocks", "/unavailability-blocks/batch", upsert, delete))
