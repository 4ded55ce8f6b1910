"""The register's HTTP API (contract sketch): token endpoint, appointments, resources, blocks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from hub.api.problems import invalid_params
from hub.model import AppointmentStatus
from sandbox.problems import Problem, problem_response
from sandbox.register.auth import bearer_token
from sandbox.register.models import (
    StaffingBatch,
    StaffingBlock,
    TransitionRequest,
    UnavailabilityBatch,
    UnavailabilityBlock,
    WireModel,
)
from sandbox.register.paging import BadCursor, SortKey, decode_cursor, encode_cursor, paginate
from sandbox.register.state import Record, RegisterError, StoredResponse, fingerprint

if TYPE_CHECKING:
    from sandbox.register.simulator import RegisterSimulator

API_PREFIX = "/api/v1"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

Cursor = Annotated[str | None, Query()]
Limit = Annotated[int, Query(ge=1, le=500)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
_ERROR_CODES = {404: "not-found", 409: "transition-not-allowed", 412: "precondition-failed",
                422: "idempotency-key-reused"}


def add_routes(app: FastAPI, sim: RegisterSimulator) -> None:
    """Install the token endpoint and `/api/v1/...` on the simulator's app."""

    async def register_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RegisterError)
        return problem_response(exc.status, str(exc), instance=request.url.path,
                                code=_ERROR_CODES.get(exc.status))

    app.add_exception_handler(RegisterError, register_error)
    app.add_api_route(TOKEN_PATH, sim.tokens.token_endpoint, methods=["POST"], tags=["oauth"])
    app.include_router(_router(sim), prefix=API_PREFIX)


def _router(sim: RegisterSimulator) -> APIRouter:
    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        token = bearer_token(authorization)
        if token is None or not sim.tokens.valid(token):
            raise Problem(401, "a valid bearer access token is required", code="unauthorized",
                          headers={"WWW-Authenticate": 'Bearer realm="register"'})

    router = APIRouter(dependencies=[Depends(require_token)])
    state = sim.state

    @router.get("/appointments", tags=["appointments"])
    def list_appointments(
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: Annotated[datetime | None, Query()] = None,
        updated_since: Annotated[datetime | None, Query(alias="updatedSince")] = None,
        external_id: Annotated[str | None, Query(alias="externalId")] = None,
        case_reference: Annotated[str | None, Query(alias="caseReference")] = None,
        customer_bsn: Annotated[str | None, Query(alias="customerBsn")] = None,
        location_id: Annotated[str | None, Query(alias="locationId")] = None,
        status: Annotated[AppointmentStatus | None, Query()] = None,
        cursor: Cursor = None, limit: Limit = 100,
    ) -> JSONResponse:
        lo, hi, since = _utc(from_), _utc(to), _utc(updated_since)

        def keep(r: Record) -> bool:
            a = r.appointment
            return ((lo is None or a.start >= lo) and (hi is None or a.start < hi)
                    and (since is None or r.updated_at >= since)
                    and (external_id is None or a.external_id == external_id)
                    and (case_reference is None or a.case_reference == case_reference)
                    and (customer_bsn is None or (a.customer is not None and a.customer.bsn == customer_bsn))
                    and (location_id is None or a.location.id == location_id)
                    and (status is None or a.status == status))

        try:
            after = decode_cursor(cursor) if cursor else None
            if since is not None:  # the index is in change order: start at `updatedSince`
                after = max(after or (), (since.timestamp(),))
            with state.lock:
                if external_id is not None:  # one appointment at most: no walk through the others
                    found = state.by_external_id.get(external_id)
                    candidates: Iterable[Record] = [r for r in [state.appointments.get(found or "")]
                                                    if r is not None and (after is None or r.order_key > after)]
                else:
                    candidates = state.ordered_after(after)
                page, more = _first(filter(keep, candidates), limit)
        except BadCursor as exc:
            raise Problem(400, str(exc), code="invalid-cursor") from None
        except TypeError:  # a cursor of another list: its key does not compare with this one's
            raise Problem(400, "cursor does not fit this list", code="invalid-cursor") from None
        nxt = encode_cursor(page[-1].order_key) if more and page else None
        return JSONResponse({"items": [r.wire() for r in page], "next": nxt})

    @router.get("/appointments/{appointment_id}", tags=["appointments"])
    def get_appointment(appointment_id: str) -> JSONResponse:
        return _appointment(state.get(appointment_id))

    @router.put("/appointments/by-external-id/{external_id}", tags=["appointments"])
    async def upsert_appointment(
        external_id: str, request: Request, if_match: IfMatch = None,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
        notify_customer: Annotated[bool, Query(alias="notifyCustomer")] = True,
    ) -> JSONResponse:
        if not idempotency_key:
            raise Problem(400, "the Idempotency-Key header is required", code="idempotency-key-missing")
        body = await _json_object(request)
        print_ = fingerprint("upsert", external_id, notify_customer, if_match, body)

        def compute() -> StoredResponse:
            try:
                created, _, record = state.upsert(external_id, body, if_match=if_match, notify=notify_customer,
                                                  emit=sim.echo_api_changes)
            except ValidationError as exc:
                raise Problem(422, "the appointment is invalid", code="invalid-appointment",
                              invalid_params=invalid_params(exc)) from None
            return StoredResponse(print_, 201 if created else 200, record.wire(), {"ETag": record.etag})

        stored = state.idempotent(idempotency_key, print_, compute)
        return JSONResponse(stored.body, status_code=stored.status, headers=stored.headers)

    def transition(target: AppointmentStatus, emits: bool) -> Callable[..., Any]:
        async def handler(appointment_id: str, request: Request, if_match: IfMatch = None) -> JSONResponse:
            raw = await _json_object(request, empty_ok=True)
            req = _validate(TransitionRequest, raw)
            kind = target.value if emits and sim.echo_api_changes else None
            _, record = state.transition(appointment_id, target, kind, if_match=if_match,
                                         notify=req.notify_customer, reason=req.reason)
            return _appointment(record)
        return handler

    for verb, target, emits in (("complete", AppointmentStatus.COMPLETED, True),
                                ("close", AppointmentStatus.CLOSED, False),
                                ("cancel", AppointmentStatus.CANCELLED, True),
                                ("check-in", AppointmentStatus.CHECKED_IN, True)):
        router.add_api_route(f"/appointments/{{appointment_id}}/{verb}", transition(target, emits),
                             methods=["POST"], tags=["appointments"], name=f"{verb.replace('-', '_')}_appointment")

    catalog = sim.catalog
    resources: dict[str, tuple[Callable[[], Iterable[WireModel]], Callable[[Any], SortKey]]] = {
        "products": (lambda: catalog.products.values(), lambda p: (p.code,)),
        "locations": (lambda: catalog.locations.values(), lambda x: (x.id,)),
        "counters": (lambda: catalog.counters.values(), lambda x: (x.id,)),
        "rooms": (lambda: catalog.rooms.values(), lambda x: (x.id,)),
        "employees": (lambda: catalog.employees.values(), lambda x: (x.id,)),
    }
    for name, (source, key) in resources.items():
        def list_resource(cursor: Cursor = None, limit: Limit = 100,
                          source: Callable[[], Iterable[WireModel]] = source,
                          key: Callable[[Any], SortKey] = key) -> JSONResponse:
            return _page(list(source()), key, cursor, limit, WireModel.wire)
        router.add_api_route(f"/{name}", list_resource, methods=["GET"], tags=["resources"], name=f"list_{name}")

    @router.get("/staffing-blocks", tags=["blocks"])
    def list_staffing(
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: Annotated[datetime | None, Query()] = None,
        resource_id: Annotated[str | None, Query(alias="resourceId")] = None,
        location_id: Annotated[str | None, Query(alias="locationId")] = None,
        cursor: Cursor = None, limit: Limit = 100,
    ) -> JSONResponse:
        with state.lock:
            blocks = list(state.staffing_blocks.values())
        items = [b for b in blocks if _overlaps(b, from_, to)
                 and (resource_id is None or b.resource_id == resource_id)
                 and (location_id is None or b.location_id == location_id)]
        return _page(items, _block_key, cursor, limit, WireModel.wire)

    @router.post("/staffing-blocks/batch", tags=["blocks"])
    async def batch_staffing(request: Request) -> JSONResponse:
        batch = _validate(StaffingBatch, await _json_object(request))
        return JSONResponse(state.batch(state.staffing_blocks, batch.upsert, batch.delete).wire())

    @router.get("/unavailability-blocks", tags=["blocks"])
    def list_unavailability(
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: Annotated[datetime | None, Query()] = None,
        employee_id: Annotated[str | None, Query(alias="employeeId")] = None,
        cursor: Cursor = None, limit: Limit = 100,
    ) -> JSONResponse:
        with state.lock:
            blocks = list(state.unavailability_blocks.values())
        items = [b for b in blocks if _overlaps(b, from_, to)
                 and (employee_id is None or b.employee_id == employee_id)]
        return _page(items, _block_key, cursor, limit, WireModel.wire)

    @router.post("/unavailability-blocks/batch", tags=["blocks"])
    async def batch_unavailability(request: Request) -> JSONResponse:
        batch = _validate(UnavailabilityBatch, await _json_object(request))
        return JSONResponse(state.batch(state.unavailability_blocks, batch.upsert, batch.delete).wire())

    return router


def _appointment(record: Record) -> JSONResponse:
    return JSONResponse(record.wire(), headers={"ETag": record.etag})


def _page(items: list[T], key: Callable[[T], SortKey], cursor: str | None, limit: int,
          dump: Callable[[T], dict[str, Any]]) -> JSONResponse:
    try:
        page, nxt = paginate(items, key, cursor, limit)
    except BadCursor as exc:
        raise Problem(400, str(exc), code="invalid-cursor") from None
    return JSONResponse({"items": [dump(i) for i in page], "next": nxt})


def _first(items: Iterable[T], limit: int) -> tuple[list[T], bool]:
    """The first `limit` of `items`, and whether there are more."""
    page: list[T] = []
    for item in items:
        if len(page) == limit:
            return page, True
        page.append(item)
    return page, False


def _utc(value: datetime | None) -> datetime | None:
    """Query times without an offset are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _overlaps(block: StaffingBlock | UnavailabilityBlock, lo: datetime | None, hi: datetime | None) -> bool:
    lo, hi = _utc(lo), _utc(hi)
    return (lo is None or block.end > lo) and (hi is None or block.start < hi)


def _block_key(block: StaffingBlock | UnavailabilityBlock) -> SortKey:
    return (block.start.timestamp(), block.id)


async def _json_object(request: Request, *, empty_ok: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip() and empty_ok:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Problem(400, "the body is not valid JSON", code="malformed-json") from None
    if not isinstance(body, dict):
        raise Problem(422, "the body must be a JSON object", code="invalid-body")
    return body


def _validate(model: type[M], raw: dict[str, Any]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise Problem(422, "the body is invalid", code="invalid-body", invalid_params=invalid_params(exc)) from None
