"""The Graph connector against Graph's documented shapes (offline: respx answers with documented samples)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema
import pytest
import respx
from pydantic import SecretStr

from connectors.outlook import CreateEvent, Credentials, DeleteEvent, GraphClient, UpdateEvent
from contract_tests.outlook import shapes
from hub.model import Appointment
from mappings.outlook import CalendarOptions, employee_event, room_event

BASE = "https://graph.microsoft.com/v1.0"
TOKEN = "https://login.microsoftonline.com/tenant-id/oauth2/v2.0/token"
T = datetime(2027, 3, 1, 8, tzinfo=UTC)
APPOINTMENT = Appointment.model_validate({
    "id": "A-1", "version": 1, "status": "booked", "start": "2027-03-01T09:00:00+01:00",
    "end": "2027-03-01T09:15:00+01:00", "location": {"id": "L", "name": "Stadswinkel"},
    "products": [{"code": "PASPOORT-AANVRAAG", "name": "Paspoort aanvragen"}],
    "customer": {"bsn": "999993653", "firstName": "Jan", "lastName": "Dijk"},
    "employee": {"id": "E", "upn": "p.jansen@example.nl", "name": "P. Jansen"},
    "room": {"id": "R", "mailbox": "spreekkamer3@example.nl", "name": "Spreekkamer 3"}})


@pytest.fixture
def graph() -> Iterator[tuple[respx.MockRouter, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def token(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        assert form["grant_type"] == ["client_credentials"] and form["scope"] == ["https://graph.microsoft.com/.default"]
        return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                         "access_token": "eyJ0eXAi"})

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN).mock(side_effect=token)
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return _answer(request)

        router.route(url__startswith=BASE).mock(side_effect=answer)
        yield router, seen


def _answer(request: httpx.Request) -> httpx.Response:
    assert request.headers["Authorization"] == "Bearer eyJ0eXAi"
    path = urlsplit(str(request.url)).path
    body: Any = json.loads(request.content) if request.content else None
    if path.endswith("/$batch"):
        jsonschema.validate(body, shapes.BATCH)
        return httpx.Response(200, json={"responses": [_item(r) for r in body["requests"]]})
    if path.endswith("/calendar/getSchedule"):
        jsonschema.validate(body, shapes.GET_SCHEDULE)
        return httpx.Response(200, json=shapes.SCHEDULE_RESPONSE)
    if request.method == "POST":
        jsonschema.validate(body, shapes.EVENT_CREATE)
        return httpx.Response(201, json=shapes.EVENT_RESPONSE)
    if request.method == "PATCH":
        jsonschema.validate(body, shapes.EVENT_PATCH)
        return httpx.Response(200, json=shapes.EVENT_RESPONSE)
    return httpx.Response(204)


def _item(request: dict[str, Any]) -> dict[str, Any]:
    if request["method"] == "POST":
        jsonschema.validate(request["body"], shapes.EVENT_CREATE)
        assert request["headers"]["Content-Type"] == "application/json"
        return {"id": request["id"], "status": 201, "body": shapes.EVENT_RESPONSE}
    if request["method"] == "GET":
        assert "calendarView" in request["url"] and "startDateTime=" in request["url"]
        return {"id": request["id"], "status": 200, "body": {"value": [shapes.EVENT_RESPONSE]}}
    return {"id": request["id"], "status": 204}


def client() -> GraphClient:
    return GraphClient(BASE, Credentials(TOKEN, "client-id", SecretStr("secret")), sleep=lambda _: None)


def test_create_and_patch_event_bodies_match_graph(graph: Any) -> None:
    options = CalendarOptions()
    c = client()
    event = c.create_event("p.jansen@example.nl", employee_event(APPOINTMENT, options, "afsprakenhub-0"))
    assert event.id == "AAMkAGIAAAoZDOFAAA=" and event.transaction_id == "afsprakenhub-0"
    [result] = c.execute([UpdateEvent("spreekkamer3@example.nl", event.id, room_event(APPOINTMENT, options))])
    assert result.ok and result.event is not None and result.event.start is not None
    assert result.event.start.aware() == datetime(2027, 3, 1, 8, tzinfo=UTC)
    _, seen = graph
    assert [urlsplit(str(r.url)).path for r in seen] == [
        "/v1.0/users/p.jansen@example.nl/events", "/v1.0/users/spreekkamer3@example.nl/events/AAMkAGIAAAoZDOFAAA%3D"]


def test_batch_requests_match_graph_json_batching(graph: Any) -> None:
    options = CalendarOptions()
    ops = [CreateEvent("p.jansen@example.nl", employee_event(APPOINTMENT, options, f"afsprakenhub-{i}"))
           for i in range(21)] + [DeleteEvent("spreekkamer3@example.nl", "AAMk=")]
    results = client().execute(ops)
    assert all(r.ok for r in results)
    _, seen = graph
    assert len(seen) == 2  # 22 requests: a batch of 20 and a batch of 2


def test_get_schedule_request_and_response(graph: Any) -> None:
    [info] = client().get_schedule(["p.jansen@example.nl"], T, T + timedelta(days=1), 15)
    assert info.schedule_items[0].status == "busy"
    assert info.schedule_items[0].start.aware() == datetime(2027, 3, 1, 10, tzinfo=UTC)


def test_calendar_view_selects_no_subjects(graph: Any) -> None:
    views = client().calendar_views(["p.jansen@example.nl"], T, T + timedelta(days=1))
    assert [e.id for e in views["p.jansen@example.nl"]] == ["AAMkAGIAAAoZDOFAAA="]  # type: ignore[union-attr]
    _, seen = graph
    [request] = json.loads(seen[0].content)["requests"]
    select = parse_qs(urlsplit(request["url"]).query)["$select"][0].split(",")
    assert "subject" not in select and "body" not in select and {"id", "start", "end", "showAs"} <= set(select)
