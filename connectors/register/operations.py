"""Every register operation written once, without I/O: a generator that yields the calls to send and is sent
their 2xx answers (in order), then returns the typed result. `RegisterClient` drives them with a blocking
client, `AsyncRegisterClient` with an async one (the calls of one step concurrently).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from connectors.register import calls
from connectors.register.calls import Call
from connectors.register.models import BatchResult, Page, StaffingBlock, UnavailabilityBlock, UpsertResult
from hub.model import Appointment

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
#: An operation: yields lists of calls, is sent their responses, returns R.
Op = Generator[list[Call], list[httpx.Response], R]


def _one(call: Call) -> Op[httpx.Response]:
    (response,) = yield [call]
    return response


def get_appointment(appointment_id: str) -> Op[Appointment]:
    call = calls.get_appointment(appointment_id)
    return calls.parse_model(call, (yield from _one(call)), Appointment)


def page(name: str, path: str, params: Mapping[str, str], cursor: str | None, limit: int,
         item: type[M]) -> Op[Page[M]]:
    """One page of a list (a cursor that does not advance is refused by `next_page`)."""
    call = calls.page_call(name, path, params, cursor, limit)
    return calls.parse_page(call, (yield from _one(call)), item)


def next_page(name: str, path: str, params: Mapping[str, str], cursor: str | None, limit: int,
              item: type[M]) -> Op[tuple[list[M], str | None]]:
    """The items of one page and the cursor to follow (None: last page)."""
    call = calls.page_call(name, path, params, cursor, limit)
    found = calls.parse_page(call, (yield from _one(call)), item)
    return found.items, calls.next_cursor(call, found)


def every(name: str, path: str, params: Mapping[str, str], item: type[M]) -> Op[list[M]]:
    """All items of a list, following the cursor, pages of the largest size."""
    items: list[M] = []
    cursor: str | None = None
    while True:
        found, cursor = yield from next_page(name, path, params, cursor, calls.BATCH_SIZE, item)
        items += found
        if cursor is None:
            return items


def resources(name: str, item: type[M]) -> Op[list[M]]:
    """Every product, location, counter, room or employee (`name`: the path without slash)."""
    return (yield from every(f"list_{name}", f"/{name}", {}, item))


def staffing_blocks(from_: datetime | None, to: datetime | None, resource_id: str | None,
                    location_id: str | None) -> Op[list[StaffingBlock]]:
    params = calls.query(**{"from": from_, "to": to, "resourceId": resource_id, "locationId": location_id})
    return (yield from every("list_staffing_blocks", "/staffing-blocks", params, StaffingBlock))


def unavailability_blocks(from_: datetime | None, to: datetime | None,
                          employee_id: str | None) -> Op[list[UnavailabilityBlock]]:
    params = calls.query(**{"from": from_, "to": to, "employeeId": employee_id})
    return (yield from every("list_unavailability_blocks", "/unavailability-blocks", params, UnavailabilityBlock))


def upsert_appointment(external_id: str, data: Appointment | Mapping[str, Any], notify_customer: bool,
                       idempotency_key: str | None, if_match: str | int | None) -> Op[UpsertResult]:
    call = calls.upsert_appointment(external_id, data, notify_customer, idempotency_key, if_match)
    return calls.parse_upsert(call, (yield from _one(call)))


def status(action: calls.StatusAction, appointment_id: str, reason: str | None, notify_customer: bool,
           if_match: str | int | None) -> Op[Appointment]:
    call = calls.status_change(action, appointment_id, reason, notify_customer, if_match)
    return calls.parse_model(call, (yield from _one(call)), Appointment)


def batch(name: str, path: str, upsert: Sequence[calls.Block], delete: Sequence[str]) -> Op[BatchResult]:
    """Requests of at most 500 upserts and 500 deletes (one step, so async sends them concurrently); counts summed."""
    requests = calls.batch_calls(name, path, upsert, delete)
    total = BatchResult()
    if not requests:
        return total
    for call, response in zip(requests, (yield requests), strict=True):
        total += calls.parse_model(call, response, BatchResult)
    return total


__all__ = ["Op", "batch", "every", "get_appointment", "next_page", "page", "resources", "staffing_blocks", "status",
           "unavailability_blocks", "upsert_appointment"]
