"""What each register operation sends and how its answer is read; shared by both clients.

Builders return a `Call` (no I/O); parsers turn a 2xx response into typed results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import zip_longest
from typing import Any, Literal, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from connectors.foundation.http_call import HttpCall
from connectors.register.errors import invalid_response
from connectors.register.models import Page, StaffingBlock, UnavailabilityBlock, UpsertResult
from hub.model import Appointment, AppointmentStatus

M = TypeVar("M", bound=BaseModel)
#: The register accepts at most this many upserts and this many deletes per batch request.
BATCH_SIZE = 500
DEFAULT_PAGE_SIZE = 100
StatusAction = Literal["complete", "close", "cancel", "check-in"]
Block = StaffingBlock | UnavailabilityBlock


#: One HTTP request to the register, relative to the base URL.
Call = HttpCall


def _segment(value: str) -> str:
    if not value:
        raise ValueError("an id in a path must not be empty")
    return quote(value, safe="")


def _time(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("query times must carry a UTC offset")
    return value.isoformat()


def query(**values: str | int | bool | datetime | None) -> dict[str, str]:
    """Query parameters in wire form; None values are left out."""
    params: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            params[key] = _time(value)
        elif isinstance(value, bool):
            params[key] = "true" if value else "false"
        else:
            params[key] = str(value)
    return params


def page_call(name: str, path: str, params: Mapping[str, str], cursor: str | None, limit: int) -> Call:
    """A GET of one page of a list."""
    if not 1 <= limit <= BATCH_SIZE:
        raise ValueError(f"limit must be 1..{BATCH_SIZE}")
    return Call(name, "GET", path, {**params, **query(cursor=cursor, limit=limit)})


class AppointmentFilters(TypedDict, total=False):
    """The filters of `list_appointments`/`appointments_page` (both clients); each one left out is not sent."""

    from_: datetime | None
    to: datetime | None
    updated_since: datetime | None
    external_id: str | None
    case_reference: str | None
    customer_bsn: str | None
    location_id: str | None
    status: AppointmentStatus | str | None


def appointment_filters(**filters: Unpack[AppointmentFilters]) -> dict[str, str]:
    """The filters of `GET /appointments` in wire form; an unknown filter is a TypeError, as a wrong keyword is."""
    unknown = sorted(set(filters) - set(AppointmentFilters.__annotations__))
    if unknown:
        raise TypeError(f"unknown appointment filter(s): {', '.join(unknown)}")
    status = filters.get("status")
    return query(**{"from": filters.get("from_"), "to": filters.get("to"), "updatedSince": filters.get("updated_since"),
                    "externalId": filters.get("external_id"), "caseReference": filters.get("case_reference"),
                    "customerBsn": filters.get("customer_bsn"), "locationId": filters.get("location_id"),
                    "status": None if status is None else str(status)})


def get_appointment(appointment_id: str) -> Call:
    return Call("get_appointment", "GET", f"/appointments/{_segment(appointment_id)}")


def etag(value: str | int) -> str:
    """An `If-Match` value: a version number becomes `"<version>"`; ETags pass unchanged."""
    text = str(value)
    return text if text.startswith(('"', 'W/"')) else f'"{text}"'


def appointment_input(external_id: str, data: Appointment | Mapping[str, Any]) -> dict[str, Any]:
    """The `AppointmentInput` body: the wire shape without id, version and updatedAt."""
    body = data.wire() if isinstance(data, Appointment) else dict(data)
    for key in ("id", "version", "updatedAt"):
        body.pop(key, None)
    body["externalId"] = external_id
    return body


def idempotency_key(external_id: str, body: Mapping[str, Any]) -> str:
    """Stable for the same externalId and content; different when the content differs."""
    content = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    digest = hashlib.sha256(f"{external_id}\x1f{content}".encode()).hexdigest()
    return f"afsprakenhub-{digest[:48]}"


def upsert_appointment(external_id: str, data: Appointment | Mapping[str, Any], notify_customer: bool,
                       idempotency_key_: str | None, if_match: str | int | None) -> Call:
    body = appointment_input(external_id, data)
    headers = {"Idempotency-Key": idempotency_key_ or idempotency_key(external_id, body)}
    if if_match is not None:
        headers["If-Match"] = etag(if_match)
    return Call("upsert_appointment", "PUT", f"/appointments/by-external-id/{_segment(external_id)}",
                query(notifyCustomer=notify_customer), body, headers)


def status_change(action: StatusAction, appointment_id: str, reason: str | None, notify_customer: bool,
                  if_match: str | int | None) -> Call:
    headers = {} if if_match is None else {"If-Match": etag(if_match)}
    return Call(f"{action.replace('-', '_')}_appointment", "POST", f"/appointments/{_segment(appointment_id)}/{action}",
                json={"reason": reason, "notifyCustomer": notify_customer}, headers=headers)


def batch_calls(name: str, path: str, upsert: Sequence[Block], delete: Sequence[str],
                size: int = BATCH_SIZE) -> list[Call]:
    """Requests of at most `size` upserts and `size` deletes each; none when both are empty."""
    upserts = [upsert[i:i + size] for i in range(0, len(upsert), size)]
    deletes = [delete[i:i + size] for i in range(0, len(delete), size)]
    return [Call(name, "POST", path, json={"upsert": [b.wire() for b in u], "delete": list(d)})
            for u, d in zip_longest(upserts, deletes, fillvalue=())]


def parse_json(call: Call, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise invalid_response(call.name, "not JSON") from exc


def parse_model(call: Call, response: httpx.Response, model: type[M]) -> M:
    """The body as `model`; a body that does not fit is a PermanentError naming the fields."""
    try:
        return model.model_validate(parse_json(call, response))
    except ValidationError as exc:
        raise invalid_response(call.name, exc) from exc


def parse_page(call: Call, response: httpx.Response, item: type[M]) -> Page[M]:
    return parse_model(call, response, Page[item])  # type: ignore[valid-type]


def parse_upsert(call: Call, response: httpx.Response) -> UpsertResult:
    return UpsertResult(appointment=parse_model(call, response, Appointment),
                        created=response.status_code == 201)


def next_cursor(call: Call, page: Page[Any]) -> str | None:
    """The cursor to follow, refusing a register that hands back the cursor it was given."""
    if page.next is not None and page.next == call.params.get("cursor"):
        raise invalid_response(call.name, "cursor does not advance")
    return page.next


def parse_raw_page(call: str, content: bytes, cursor: str | None) -> tuple[list[dict[str, object]], str | None]:
    """The items (as answered, no models) and next cursor of one page; PermanentError if it is not one."""
    try:
        page = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise invalid_response(call, "not JSON") from exc
    items = page.get("items") if isinstance(page, dict) else None
    nxt = page.get("next") if isinstance(page, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid_response(call, "invalid: items")
    if nxt is not None and not isinstance(nxt, str):
        raise invalid_response(call, "invalid: next")
    if nxt is not None and nxt == cursor:
        raise invalid_response(call, "cursor does not advance")
    return items, nxt
