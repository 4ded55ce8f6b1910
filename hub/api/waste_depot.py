"""The waste-depot gate's HTTP API: access checks for gate terminals (own credentials), pass checks, readiness."""

from __future__ import annotations

import hashlib
import hmac
import weakref
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from flows.waste_depot.gate import (
    AccessAnswer,
    AccessCheck,
    PassStatus,
    QrCode,
    check_access_async,
    pass_status,
    qr_code_for,
)
from flows.waste_depot.readiness import GateReadiness, readiness
from hub import metrics
from hub.api import bounded_json, problems
from hub.api.auth import _token_name, _unauthorized, authenticate
from hub.api.intake_routes import read_body
from hub.api.problems import Problem
from hub.api.store_errors import is_store_unavailable, store_unavailable_response
from hub.bootstrap import Hub

router = APIRouter(prefix="/waste-depot", tags=["waste-depot"])


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


class GateTokens:
    """The gate tokens by their SHA-256 digest: one dict lookup per request, whatever the number of gates, and
    the time it takes says nothing about how close a wrong token came (a digest's prefix cannot be steered); the
    found token is then compared in constant time."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._by_digest = {hashlib.sha256(t.encode()).digest(): (t, gate) for t, gate in tokens.items()}

    def gate_of(self, authorization: str | None) -> str:
        """The gate a gate token belongs to (the gate role); API tokens of TIP or operations are refused."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("missing gate credentials (use: Bearer <gate token>)")
        found = self._by_digest.get(hashlib.sha256(token.encode()).digest())
        if found is None or not hmac.compare_digest(found[0].encode(), token.encode()):
            raise _unauthorized("invalid gate credentials")
        return found[1]


def gate_tokens(hub: Hub) -> GateTokens:
    """The hub's gate tokens, read from its settings once."""
    found = _TOKENS.get(hub)
    if found is None:
        found = _TOKENS[hub] = GateTokens(hub.settings.waste_depot.gate_token_map())
    return found


_TOKENS: weakref.WeakKeyDictionary[Hub, GateTokens] = weakref.WeakKeyDictionary()


def gate_of(hub: Hub, authorization: str | None) -> str:
    """The gate a gate token belongs to (the gate role); API tokens of TIP or operations are refused."""
    return gate_tokens(hub).gate_of(authorization)


def parse_check(body: bytes, gate: str) -> AccessCheck:
    """The access check in `body`, sent by `gate`; a 400/422/403 problem otherwise."""
    raw = bounded_json.loads(body)
    try:
        check = AccessCheck.model_validate(raw)
    except ValidationError as exc:
        raise Problem(422, "invalid access check", code="invalid-access-check",
                      invalid_params=problems.invalid_params(exc)) from None
    if check.gate_id != gate:
        raise Problem(403, "this gate token belongs to another gate", code="wrong-gate")
    return check


@router.post("/access-checks", summary="Check a QR code at a waste-depot gate (gate credentials)",
             response_model=AccessAnswer, response_model_by_alias=True,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": AccessCheck.model_json_schema(by_alias=True)}}}},
             responses=problems.documented(401, 403, 413, 422))
async def access_check(request: Request) -> JSONResponse:
    """Served by `GateFastPath` in the running app; this route documents it (and serves it if the path is
    reached another way, e.g. with a query string, which it refuses like every route)."""
    hub = _hub(request)
    gate = gate_of(hub, request.headers.get("authorization"))
    check = parse_check(await read_body(request, hub.settings.max_body_bytes), gate)
    answer = await check_access_async(hub, check)  # in memory; only a first scan awaits its group commit
    return JSONResponse(answer.model_dump(mode="json", by_alias=True))


ACCESS_CHECKS_PATH = "/api/v1/waste-depot/access-checks"


class GateFastPath:
    """Pure ASGI, outside the root app's whole middleware stack: `POST /api/v1/waste-depot/access-checks`
    without a query string is answered here, before Starlette's error middleware, FastAPI's telemetry and body
    limit, `ApiVersionHeader`, the routers and the mounted API's stacks (a gate scan is the hub's hottest
    request: 50 gates at once, and each wrapper costs every scan its own `send`). So it does itself what they
    do for it: the `API-Version` header, the body limit (a too large Content-Length refused unread, a chunked
    body counted), problem+json errors, 503 + Retry-After when the store does not answer, and a 500 problem
    (then the error raised for the server's log) for anything unexpected. Anything else goes on to `app`."""

    def __init__(self, app: ASGIApp, hub: Hub, api_version: str) -> None:
        self.app = app
        self.hub = hub
        self.version = (b"api-version", api_version.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != ACCESS_CHECKS_PATH or scope["method"] != "POST"
                or scope.get("query_string")):
            await self.app(scope, receive, send)
            return
        response: Response
        unexpected: Exception | None = None
        try:
            response = await self._answer(scope, receive)
        except Problem as exc:
            metrics.EVENTS_REJECTED.labels(reason=str(exc.status)).inc()
            response = problems.problem_response(exc.status, exc.detail, instance=ACCESS_CHECKS_PATH, code=exc.code,
                                                 invalid_params=exc.invalid_params, headers=exc.headers)
        except Exception as exc:
            if is_store_unavailable(exc):
                response = store_unavailable_response(Request(scope), exc)
            else:  # as Starlette's error middleware: a problem for the gate, the error for the server's log
                unexpected = exc
                response = problems.problem_response(500, "internal error; see the hub's log for this request",
                                                     instance=ACCESS_CHECKS_PATH)
        response.raw_headers.append(self.version)
        await response(scope, receive, send)
        if unexpected is not None:
            raise unexpected

    async def _answer(self, scope: Scope, receive: Receive) -> Response:
        authorization = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-length":
                length = value
        limit = self.hub.settings.max_body_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            raise Problem(413, f"body larger than {limit} bytes")
        gate = gate_tokens(self.hub).gate_of(authorization)
        check = parse_check(await _body(receive, limit), gate)
        answer = await check_access_async(self.hub, check)
        return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


async def _body(receive: Receive, limit: int) -> bytes:
    """The request body, at most `limit` bytes, or a 413/400 problem."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Problem(400, "the client went away before the body was complete; nothing was stored",
                          code="incomplete-body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


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
