"""The migration's fallback BulkRegister: a vendor's sync adapter in bounded threads, results in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hub.model import Appointment
from hub.ports.register import ALL_CAPABILITIES, Capability, UnsupportedError, UpsertResult
from hub.ports.threaded_bulk import ThreadedBulk
from tests.support.fake_register import InMemoryRegister

START = datetime(2027, 3, 1, 8, tzinfo=UTC)


def appointment(n: int) -> Appointment:
    start = START + timedelta(hours=n)
    return Appointment.model_validate({"id": f"A-{n}", "version": 1, "status": "booked", "start": start,
                                       "end": start + timedelta(minutes=15), "location": {"id": "LOC-1"}})


def test_upserts_keep_their_order_and_return_errors_in_place() -> None:
    register = InMemoryRegister()

    async def run() -> list[UpsertResult | Exception]:
        async with ThreadedBulk(register, 3) as bulk:
            first = await bulk.upsert_appointments([(f"jcc:{n}", appointment(n)) for n in range(5)])
            register.capabilities = ALL_CAPABILITIES - {Capability.UPSERT_BY_EXTERNAL_ID}
            refused = await bulk.upsert_appointments([("jcc:9", appointment(9))])
            return [*first, *refused]

    results = asyncio.run(run())
    assert [r.appointment.external_id for r in results[:5] if isinstance(r, UpsertResult)] == [
        f"jcc:{n}" for n in range(5)]
    assert isinstance(results[5], UnsupportedError)
    assert register.closed  # the adapter is closed with the bulk register


def test_reads_the_window_and_cancels_through_the_sync_adapter() -> None:
    register = InMemoryRegister(appointments={f"A-{n}": appointment(n) for n in range(4)})

    async def run() -> tuple[list[str], str]:
        bulk = ThreadedBulk(register, 2)
        ids = [a.id async for a in bulk.list_appointments(from_=START + timedelta(hours=1),
                                                          to=START + timedelta(hours=3))]
        cancelled = await bulk.cancel_appointment("A-0", "rolled back", notify_customer=False)
        await bulk.aclose()
        return ids, cancelled.status.value

    assert asyncio.run(run()) == (["A-1", "A-2"], "cancelled")


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ThreadedBulk(InMemoryRegister(), 0)
