"""`AsyncRegisterClient`: the async register client for bulk work (migration loads, batch pushes).

At most `max_concurrency` requests are in flight at once (a semaphore around each HTTP attempt, so
backoff sleeps do not hold a slot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel

from connectors.register import calls
from connectors.register.auth import AsyncTokenProvider, Clock, Credentials
from connectors.register.calls import DEFAULT_PAGE_SIZE, Call
from connectors.register.client import credentials_of
from connectors.register.errors import error_for_exception, error_for_response
from connectors.register.http import (
    MAX_INLINE_RETRY_AFTER,
    AsyncSleep,
    async_retrying,
    record,
    request_headers,
)
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
from hub.outbound import async_http_client
from hub.settings import RegisterSettings

M = TypeVar("M", bound=BaseModel)


class AsyncRegisterClient:
    """Async twin of `RegisterClient` with bounded concurrency; same errors and retries."""

    def __init__(self, base_url: str, credentials: Credentials, *, timeout: float = 10.0,
                 max_retries: int = 4, max_concurrency: int = 8, http: httpx.AsyncClient | None = None,
                 sleep: AsyncSleep = asyncio.sleep, clock: Clock = time.monotonic,
                 max_inline_retry_after: float = MAX_INLINE_RETRY_AFTER, owns_http: bool | None = None) -> None:
        """`owns_http`: close `http` with this client (default: only the client it made itself)."""
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._http = http or async_http_client("register", timeout=httpx.Timeout(timeout),
                                               limits=httpx.Limits(max_connections=max_concurrency))
        self._owns_http = http is None if owns_http is None else owns_http
        self._tokens = AsyncTokenProvider(credentials, self._http, clock=clock)
        self._retrying = async_retrying(max_retries, sleep, max_inline_retry_after)
        self._slots = asyncio.Semaphore(max_concurrency)
        self.max_concurrency = max_concurrency

    @classmethod
    def from_settings(cls, settings: RegisterSettings, **kwargs: Any) -> Self:
        """A client configured from `Settings.register_api`; kwargs override."""
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        kwargs.setdefault("max_concurrency", settings.max_concurrency)
        return cls(settings.base_url, credentials_of(settings), **kwargs)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    # -- plumbing -------------------------------------------------------------------------------

    async def _send_once(self, call: Call, token: str) -> httpx.Response:
        try:
            return await self._http.request(call.method, self._base_url + call.path, params=call.params,
                                            json=call.json, headers=request_headers(call, token))
        except httpx.HTTPError as exc:
            raise error_for_exception(call.name, exc) from exc

    async def _attempt(self, call: Call) -> httpx.Response:
        async with self._slots:
            try:
                token = await self._tokens.token()
                response = await self._send_once(call, token)
                if response.status_code == 401:  # token revoked or expired early: refresh once
                    await self._tokens.invalidate(token)
                    response = await self._send_once(call, await self._tokens.token())
                if not response.is_success:
                    raise error_for_response(call.name, response)
            except DeliveryError as exc:
                record(exc)
                raise
        record(None)
        return response

    async def send(self, call: Call) -> httpx.Response:
        """Send `call` with retries; the 2xx response or the final DeliveryError."""
        return await self._retrying.copy()(self._attempt, call)  # per-call state: tasks share a thread

    async def _pages(self, name: str, path: str, params: Mapping[str, str], item: type[M],
                     page_size: int) -> AsyncIterator[M]:
        cursor: str | None = None
        while True:
            call = calls.page_call(name, path, params, cursor, page_size)
            page = calls.parse_page(call, await self.send(call), item)
            for entry in page.items:
                yield entry
            cursor = calls.next_cursor(call, page)
            if cursor is None:
                return

    async def _all(self, name: str, path: str, params: Mapping[str, str], item: type[M]) -> list[M]:
        return [entry async for entry in self._pages(name, path, params, item, calls.BATCH_SIZE)]

    async def _batch(self, name: str, path: str, upsert: Sequence[calls.Block],
                     delete: Sequence[str]) -> BatchResult:
        async def one(call: Call) -> BatchResult:
            return calls.parse_model(call, await self.send(call), BatchResult)

        results = await asyncio.gather(*(one(c) for c in calls.batch_calls(name, path, upsert, delete)))
        return sum(results, BatchResult())

    # -- appointments ---------------------------------------------------------------------------

    async def get_appointment(self, appointment_id: str) -> Appointment:
        call = calls.get_appointment(appointment_id)
        return calls.parse_model(call, await self.send(call), Appointment)

    async def appointments_page(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE,
                                **filters: Any) -> Page[Appointment]:
        call = calls.page_call("list_appointments", "/appointments", calls.appointment_filters(**filters),
                               cursor, limit)
        return calls.parse_page(call, await self.send(call), Appointment)

    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          updated_since: datetime | None = None, external_id: str | None = None,
                          case_reference: str | None = None, customer_bsn: str | None = None,
                          location_id: str | None = None, status: AppointmentStatus | str | None = None,
                          page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Appointment]:
        """All matching appointments (`async for`), following the cursor across pages."""
        params = calls.appointment_filters(
            from_=from_, to=to, updated_since=updated_since, external_id=external_id,
            case_reference=case_reference, customer_bsn=customer_bsn, location_id=location_id, status=status)
        return self._pages("list_appointments", "/appointments", params, Appointment, page_size)

    async def find_by_external_id(self, external_id: str) -> Appointment | None:
        page = await self.appointments_page(external_id=external_id, limit=1)
        return page.items[0] if page.items else None

    async def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        return [a async for a in self.list_appointments(case_reference=case_reference)]

    async def upsert_appointment(self, external_id: str, data: Appointment | Mapping[str, Any],
                                 notify_customer: bool = True, idempotency_key: str | None = None,
                                 if_match: str | int | None = None) -> UpsertResult:
        """As `RegisterClient.upsert_appointment`."""
        call = calls.upsert_appointment(external_id, data, notify_customer, idempotency_key, if_match)
        return calls.parse_upsert(call, await self.send(call))

    async def upsert_appointments(self, items: Iterable[tuple[str, Appointment | Mapping[str, Any]]],
                                  notify_customer: bool = False) -> list[UpsertResult | DeliveryError]:
        """Upsert many (a migration load) concurrently; per item its result or its DeliveryError."""
        async def one(external_id: str, data: Appointment | Mapping[str, Any]) -> UpsertResult | DeliveryError:
            try:
                return await self.upsert_appointment(external_id, data, notify_customer)
            except DeliveryError as exc:
                return exc

        return list(await asyncio.gather(*(one(eid, data) for eid, data in items)))

    async def _status(self, action: calls.StatusAction, appointment_id: str, reason: str | None,
                      notify_customer: bool, if_match: str | int | None) -> Appointment:
        call = calls.status_change(action, appointment_id, reason, notify_customer, if_match)
        return calls.parse_model(call, await self.send(call), Appointment)

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

    async def list_products(self) -> list[Product]:
        return await self._all("list_products", "/products", {}, Product)

    async def list_locations(self) -> list[Location]:
        return await self._all("list_locations", "/locations", {}, Location)

    async def list_counters(self) -> list[Counter]:
        return await self._all("list_counters", "/counters", {}, Counter)

    async def list_rooms(self) -> list[Room]:
        return await self._all("list_rooms", "/rooms", {}, Room)

    async def list_employees(self) -> list[Employee]:
        return await self._all("list_employees", "/employees", {}, Employee)

    # -- staffing and unavailability ------------------------------------------------------------

    async def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   resource_id: str | None = None,
                                   location_id: str | None = None) -> list[StaffingBlock]:
        params = calls.query(**{"from": from_, "to": to, "resourceId": resource_id, "locationId": location_id})
        return await self._all("list_staffing_blocks", "/staffing-blocks", params, StaffingBlock)

    async def batch_staffing_blocks(self, upsert: Sequence[StaffingBlock] = (),
                                    delete: Sequence[str] = ()) -> BatchResult:
        """Upsert and delete in chunks of 500, the chunks concurrently; counts summed."""
        return await self._batch("batch_staffing_blocks", "/staffing-blocks/batch", upsert, delete)

    async def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                         employee_id: str | None = None) -> list[UnavailabilityBlock]:
        params = calls.query(**{"from": from_, "to": to, "employeeId": employee_id})
        return await self._all("list_unavailability_blocks", "/unavailability-blocks", params,
                               UnavailabilityBlock)

    async def batch_unavailability_blocks(self, upsert: Sequence[UnavailabilityBlock] = (),
                                          delete: Sequence[str] = ()) -> BatchResult:
        """Upsert and delete in chunks of 500, the chunks concurrently; counts summed."""
        return await self._batch("batch_unavailability_blocks", "/unavailability-blocks/batch", upsert, delete)
