"""`ThreadedBulk`: the migration's `BulkRegister` for a vendor without an async adapter (its sync one in threads)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

import httpx

from hub.closing import AsyncClosing
from hub.errors import DeliveryError
from hub.model import Appointment
from hub.ports.capabilities import Capability
from hub.ports.register import AppointmentRegister, require
from hub.ports.register_types import Employee, Location, Product, UpsertResult


class ThreadedBulk(AsyncClosing):
    """At most `concurrency` calls of the sync adapter at once, each in a worker thread."""

    def __init__(self, register: AppointmentRegister, concurrency: int, http: httpx.AsyncClient | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._register = register
        self._http = http  # the migration's client, unused here: closed with this one
        self._slots = asyncio.Semaphore(concurrency)
        self.max_concurrency = concurrency

    @property
    def vendor(self) -> str:
        return self._register.vendor

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._register.capabilities

    async def aclose(self) -> None:
        self._register.close()
        if self._http is not None:
            await self._http.aclose()

    async def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                                page_size: int = 100) -> AsyncIterator[Appointment]:
        require(self._register, Capability.LIST_APPOINTMENTS)
        found = await asyncio.to_thread(lambda: list(self._register.list_appointments(from_=from_, to=to)))
        for appointment in found:
            yield appointment

    async def list_appointment_objects(self, *, from_: datetime, to: datetime) -> AsyncIterator[dict[str, object]]:
        async for appointment in self.list_appointments(from_=from_, to=to):
            yield appointment.wire()

    async def upsert_appointments(self, items: Iterable[tuple[str, Appointment]],
                                  notify_customer: bool = False) -> list[UpsertResult | DeliveryError]:
        async def one(external_id: str, data: Appointment) -> UpsertResult | DeliveryError:
            async with self._slots:
                try:
                    return await asyncio.to_thread(self._register.upsert_appointment, external_id, data,
                                                   notify_customer)
                except DeliveryError as exc:
                    return exc

        return list(await asyncio.gather(*(one(eid, data) for eid, data in items)))

    async def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                                 notify_customer: bool = True) -> Appointment:
        async with self._slots:
            return await asyncio.to_thread(self._register.cancel_appointment, appointment_id, reason,
                                           notify_customer)

    async def list_products(self) -> list[Product]:
        return await asyncio.to_thread(self._register.list_products)

    async def list_locations(self) -> list[Location]:
        return await asyncio.to_thread(self._register.list_locations)

    async def list_employees(self) -> list[Employee]:
        return await asyncio.to_thread(self._register.list_employees)


__all__ = ["ThreadedBulk"]
