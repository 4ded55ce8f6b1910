"""The intake endpoints: `POST /events` (CloudEvents, every HTTP content mode), `POST /notificaties` (ZGW
Notificaties API messages, or CloudEvents from an abonnement with CloudEvents on) and their OPTIONS
webhook handshakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from hub import metrics
from hub.api import bounded_json, problems
from hub.api.auth import authenticate_notification, caller
from hub.api.cloudevents_http import (
    CE_BATCH,
    CE_JSON,
    Received,
    check_structured,
    media_type,
    mode_of,
    receive,
)
from hub.api.fast_routes import Handler
from hub.api.load_shedding import Backlog
from hub.api.problems import Problem
from hub.bootstrap import Hub
from hub.group_commit import group_commit
from hub.intake import Accepted, Submission
from hub.model import CloudEvent, parse_event
from hub.notificaties import Notificatie
from hub.tracing import intake_spans
from hub.url_guard import url_within
from mappings.zgw import notification_from_event

MAX_BATCH = 1000
ZGW_URL_RULE = "zgw-urls-outside-zaken-api"
_SUBJECT_RULE = "subject must equal data.id"


async def read_body(request: Request, limit: int) -> bytes:
    """The body, at most `limit` bytes, or a 413/400 problem."""
    size = 0
    chunks: list[bytes] = []
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem(400, "the client went away before the body was complete; nothing was stored",
                      code="incomplete-body") from None
    return b"".join(chunks)


def _invalid(exc: ValidationError, prefix: str) -> list[dict[str, str]]:
    """pydantic's findings; the subject rule names both fields it compares."""
    found = problems.invalid_params(exc, prefix)
    for item in list(found):
        if _SUBJECT_RULE in item["reason"]:
            found.remove(item)
            found += [{"name": f"{prefix}subject", "code": "subject-mismatch", "reason": item["reason"]},
                      {"name": f"{prefix}data.id", "code": "subject-mismatch", "reason": item["reason"]}]
    return found


def validate(received: Received) -> list[CloudEvent]:
    """The hub's model over each received event: all valid, or a 422 naming every bad field."""
    events: list[CloudEvent] = []
    bad: list[dict[str, str]] = []
    for index, item in enumerate(received.events):
        prefix = f"[{index}]." if received.mode == "batch" else ""
        try:
            events.append(parse_event(item, nul_free=received.nul_free))
        except ValidationError as exc:
            bad.extend(_invalid(exc, prefix))
    if bad:
        raise Problem(422, "invalid event: nothing was stored", code="invalid-event", invalid_params=bad)
    return events


def refuse_foreign_zgw_urls(hub: Hub, events: Sequence[CloudEvent], prefix: str = "") -> None:
    """A zaken notification naming URLs outside the configured Zaken APIs is refused here, not dead-lettered."""
    bases = hub.settings.zgw.zaken_base_urls
    bad: list[dict[str, str]] = []
    for index, event in enumerate(events):
        note = notification_from_event(event)
        if note is None or note.kanaal != "zaken":
            continue
        where = f"[{index}]." if len(events) > 1 else prefix
        for name, url in (("hoofdObject", note.hoofd_object), ("resourceUrl", note.resource_url)):
            if not url_within(url, bases):
                bad.append({"name": f"{where}{name}", "code": ZGW_URL_RULE,
                            "reason": "must lie under a configured Zaken API (zgw.zaken_base_urls)"})
    if bad:
        raise Problem(422, f"rule {ZGW_URL_RULE}: a zaken notification's hoofdObject and resourceUrl must lie "
                      "under a configured Zaken API; nothing was stored", code=ZGW_URL_RULE, invalid_params=bad)


async def store(hub: Hub, events: list[CloudEvent], who: str, received: list[Any], endpoint: str,
                headers: Mapping[str, str], dedupe_keys: list[str] | None = None) -> list[Accepted]:
    """Commit the events (with their trace context) in the hub's group commit, then queue their deliveries (a
    lost message is re-sent by the sweeper; each carries its event's trace context); the event loop waits for
    the commit without a thread of its own. A store that cannot answer is the app's one store-unavailable 503
    (hub/api/store_errors.py). One `intake` span per event (hub.tracing)."""
    with intake_spans(headers, received, endpoint) as spans:
        submission = Submission(events, who, dedupe_keys=dedupe_keys, received=received, traces=spans.traces)
        accepted = await group_commit(hub).submit(submission, [t.traceparent for t in spans.traces])
        spans.finish([a.duplicate for a in accepted])
    for a in accepted:
        (metrics.EVENTS_DUPLICATE if a.duplicate else metrics.EVENTS_RECEIVED).labels(endpoint=endpoint).inc()
    return accepted


def handshake(request: Request, rate: str) -> Response:
    """The CloudEvents / NL GOV webhook abuse-protection handshake: allow the asking origin."""
    origin = request.headers.get("webhook-request-origin")
    headers = {"Allow": "POST, OPTIONS"}
    if origin:
        headers |= {"WebHook-Allowed-Origin": origin[:500], "WebHook-Allowed-Rate": rate}
    return Response(status_code=200, headers=headers)


def _events_body_schema() -> dict[str, Any]:
    one = {"oneOf": [{"$ref": "#/components/schemas/AppointmentEvent"}, {"$ref": "#/components/schemas/CloudEvent"}]}
    return {"required": True, "content": {
        CE_JSON: {"schema": one},
        "application/json": {"schema": {"description": "a structured CloudEvent, an array of them, or the data of "
                                        "a binary-mode event (ce-* headers)", **one}},
        CE_BATCH: {"schema": {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_BATCH}},
    }}


def install_intake(api: FastAPI, hub: Hub) -> dict[str, Handler]:
    """Add the intake routes to the API app; returns their POST handlers by path under the API's prefix, for the
    app's fast path (hub/api/fast_routes.py), which runs the same functions without the routers."""
    settings = hub.settings
    backlog = Backlog(hub)
    rate = "*"
    event_errors = problems.documented(400, 401, 413, 415, 422, 429, 503)

    async def take(received: Received, who: str, endpoint: str, headers: Mapping[str, str]) -> list[Accepted]:
        """Validate the received CloudEvents, apply the intake rules, store them: all or nothing."""
        events = validate(received)
        refuse_foreign_zgw_urls(hub, events)
        return await store(hub, events, who, received.events, endpoint, headers)

    @api.options("/events", tags=["intake"], summary="Webhook validation handshake (CloudEvents, NL GOV)",
                 responses={200: {"description": "allowed; WebHook-Allowed-Origin and -Rate answer the request",
                                  "headers": {"WebHook-Allowed-Origin": {"schema": {"type": "string"}},
                                              "WebHook-Allowed-Rate": {"schema": {"type": "string"}}}}})
    async def events_handshake(request: Request) -> Response:
        return handshake(request, rate)

    @api.post(
        "/events", status_code=202, tags=["intake"], summary="Receive CloudEvents from TIP",
        openapi_extra={"requestBody": _events_body_schema()},
        responses={202: {"description": "stored (or already stored: duplicate=true)", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/EventsAccepted"}}}}, **event_errors},
    )
    async def receive_events(request: Request) -> JSONResponse:
        who = await caller(request)
        mode = mode_of(request.headers)
        if mode is None:
            raise Problem(415, f"content type must be {CE_JSON}, {CE_BATCH}, application/json, or any type with "
                          "ce-specversion and the other ce-* headers (binary mode)")
        await backlog.admit()
        body = await read_body(request, settings.max_body_bytes)
        received = receive(mode, request.headers, body, MAX_BATCH)
        accepted = await take(received, who, "events", request.headers)
        items = [{"id": a.event_id, "duplicate": a.duplicate} for a in accepted]
        if received.mode != "batch":
            return JSONResponse(items[0], status_code=202)
        return JSONResponse({"accepted": sum(not a.duplicate for a in accepted),
                             "duplicates": sum(a.duplicate for a in accepted), "items": items}, status_code=202)

    @api.options("/notificaties", tags=["intake"], summary="Webhook validation handshake (NL GOV)",
                 responses={200: {"description": "allowed"}})
    async def notificaties_handshake(request: Request) -> Response:
        return handshake(request, rate)

    @api.post(
        "/notificaties", status_code=204, tags=["intake"], summary="ZGW Notificaties callback",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Notificatie"}},
            CE_JSON: {"schema": {"$ref": "#/components/schemas/CloudEvent"}}}}},
        responses={204: {"description": "received"}, **event_errors},
    )
    async def receive_notificatie(request: Request) -> Response:
        who = await authenticate_notification(settings, request.headers.get("authorization"))
        mode = mode_of(request.headers, plain_json=False)
        if mode is None and media_type(request.headers.get("content-type")) not in ("application/json", ""):
            raise Problem(415, f"content type must be application/json or {CE_JSON}")
        await backlog.admit()
        body = await read_body(request, settings.max_body_bytes)
        if mode is not None:  # an abonnement with CloudEvents switched on
            await take(receive(mode, request.headers, body, MAX_BATCH), who, "notificaties", request.headers)
            return Response(status_code=204)
        raw = bounded_json.loads(body)
        if not isinstance(raw, dict):
            raise Problem(422, "invalid notification: nothing was stored", code="invalid-notification",
                          invalid_params=[{"name": "body", "code": "type", "reason": "expected a JSON object"}])
        if "specversion" in raw:  # a structured CloudEvent sent as application/json
            check_structured(raw)
            await take(Received("structured", [raw]), who, "notificaties", request.headers)
            return Response(status_code=204)
        try:
            message = Notificatie.model_validate(raw)
        except ValidationError as exc:
            raise Problem(422, "invalid notification: nothing was stored", code="invalid-notification",
                          invalid_params=problems.invalid_params(exc)) from None
        event = message.as_cloudevent()
        refuse_foreign_zgw_urls(hub, [event])
        await store(hub, [event], who, [{**event.model_dump(mode="json", exclude_none=True), "data": raw}],
                    "notificaties", request.headers, dedupe_keys=[message.dedupe_key])
        return Response(status_code=204)

    return {"/events": receive_events, "/notificaties": receive_notificatie}

