"""The waste-depot gate's HTTP API: access checks for gate terminals (own credentials), pass checks, readiness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from flows.waste_depot.gate import (
    AccessAnswer,
    AccessCheck,
    PassStatus,
    QrCode,
    check_access,
    pass_status,
    qr_code_for,
)
from flows.waste_depot.readiness import GateReadiness, readiness
from hub.api import bounded_json, problems
from hub.api.auth import _token_name, _unauthorized, authenticate
from hub.api.intake_routes import read_body
from hub.api.problems import Problem
from hub.bootstrap import Hub

router = APIRouter(prefix="/waste-depot", tags=["waste-depot"])


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def gate_of(hub: Hub, authorization: str | None) -> str:
    """The gate a gate token belongs to (the gate role); API tokens of TIP or operations are refused."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("missing gate credentials (use: Bearer <gate token>)")
    gate = _token_name(token.strip(), hub.settings.waste_depot.gate_token_map())
    if gate is None:
        raise _unauthorized("invalid gate credentials")
    return gate


@router.post("/access-checks", summary="Check a QR code at a waste-depot gate (gate credentials)",
             response_model=AccessAnswer, response_model_by_alias=True,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": AccessCheck.model_json_schema(by_alias=True)}}}},
             responses=problems.documented(401, 403, 413, 422))
async def access_check(request: Request) -> JSONResponse:
    hub = _hub(request)
    gate = gate_of(hub, request.headers.get("authorization"))
    raw = bounded_json.loads(await read_body(request, hub.settings.max_body_bytes))
    try:
        check = AccessCheck.model_validate(raw)
    except ValidationError as exc:
        raise Problem(422, "invalid access check", code="invalid-access-check",
                      invalid_params=problems.invalid_params(exc)) from None
    if check.gate_id != gate:
        raise Problem(403, "this gate token belongs to another gate", code="wrong-gate")
    answer = await run_in_threadpool(check_access, hub, check)
    return JSONResponse(answer.model_dump(mode="json", by_alias=True))


@router.get("/passes/{passNumber}", summary="Booking-time check of a pass (milieupas)",
            response_model=PassStatus, response_model_by_alias=True, responses=problems.documented(401))
async def get_pass(request: Request,
                   passNumber: Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
                   ) -> JSONResponse:
    hub = _hub(request)
    await authenticate(hub.settings, request.headers.get("authorization"))
    answer = await run_in_threadpool(pass_status, hub, passNumber)
    return JSONResponse(answer.model_dump(mode="json", by_alias=True))


@router.get("/appointments/{appointmentId}/qr-code", summary="The QR value for an appointment's confirmation mail",
            response_model=QrCode, response_model_by_alias=True, responses=problems.documented(401))
async def get_qr_code(request: Request,
                      appointmentId: Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
                      ) -> JSONResponse:
    hub = _hub(request)
    await authenticate(hub.settings, request.headers.get("authorization"))
    answer = await run_in_threadpool(qr_code_for, hub, appointmentId)
    return JSONResponse(answer.model_dump(mode="json", by_alias=True))


@router.get("/health/ready", summary="Readiness of the gate path: how fresh bookings and the pass list are",
            description="Always 200 while the hub answers (the gate keeps working on stale lists); `status` is "
                        "`up` when both were refreshed within `stale_after_minutes`, else `stale`: alert on that.",
            response_model=GateReadiness, response_model_by_alias=True, responses=problems.documented(401))
async def gate_ready(request: Request) -> JSONResponse:
    hub = _hub(request)
    authorization = request.headers.get("authorization")
    token = (authorization or "").partition(" ")[2]
    if _token_name(token.strip(), hub.settings.waste_depot.gate_token_map()) is None:
        await authenticate(hub.settings, authorization)
    body = await run_in_threadpool(readiness, hub)
    return JSONResponse(body.model_dump(mode="json", by_alias=True))
