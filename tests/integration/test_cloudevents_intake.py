"""The CloudEvents HTTP binding with the CNCF SDK as the client: binary, structured and batched mode, data_base64,
the attribute-name rule, what is stored, the webhook handshake, load shedding and unrouted events (issue 21)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.core.bindings.http import to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub import operations
from hub.api import load_shedding
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.store.tables import Delivery, InboxEvent
from tests.conftest import AUTH
from tests.support.events import appointment, cloudevent
from tests.support.flows import Recorder, registry_with

FORMAT = JSONFormat()
CE_BATCH = "application/cloudevents-batch+json"


def sdk_event(appointment_id: str = "A-1001", version: int = 1, *, subject: bool = True,
              data: Any = None, **extensions: Any) -> SdkEvent:
    attributes: dict[str, Any] = {
        "specversion": "1.0", "id": f"{appointment_id}-v{version}", "source": "urn:test:tip",
        "type": "nl.tilburg.afspraken.appointment.booked", "datacontenttype": "application/json", **extensions}
    if subject:
        attributes["subject"] = appointment_id
    return SdkEvent(attributes, appointment(appointment_id, version) if data is None else data)


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub), raise_server_exceptions=False) as c:
        yield c


def stored(hub: Hub) -> list[dict[str, Any]]:
    with hub.db.unit_of_work() as s:
        return [dict(p) for p in s.scalars(select(InboxEvent.payload).order_by(InboxEvent.id))]


def inbox_count(hub: Hub) -> int:
    with hub.db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent)) or 0


def run_all(hub: Hub) -> None:
    """Process every open delivery in the foreground, oldest first."""
    with hub.db.unit_of_work() as s:
        ids = list(s.scalars(select(Delivery.id).order_by(Delivery.id)))
    for delivery_id in ids:
        hub.runtime.processor.process(delivery_id)


def post(client: TestClient, message: Any, path: str = "/api/v1/events") -> Any:
    return client.post(path, content=message.body, headers={**message.headers, **AUTH})


# -- the three content modes ---------------------------------------------------------------------------

def test_binary_mode_is_stored_as_received_and_delivered(client: TestClient, hub: Hub, recorder: Recorder) -> None:
    message = to_binary(sdk_event(), FORMAT)
    assert message.headers["content-type"] == "application/json" and "ce-specversion" in message.headers
    answer = post(client, message)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"id": "A-1001-v1", "duplicate": False}
    [payload] = stored(hub)
    # what TIP sent: its attributes (time as sent), its data with camelCase keys, nothing added
    assert payload["data"] == json.loads(message.body) and "dataschema" not in payload
    assert payload["data"]["customer"]["firstName"] == "Jan"
    assert payload["time"] == message.headers["ce-time"].replace("%3A", ":")
    assert post(client, message).json() == {"id": "A-1001-v1", "duplicate": True}  # same dedupe as structured
    run_all(hub)
    assert recorder.applied == [("A-1001", 1)]


def test_structured_mode_is_stored_verbatim(client: TestClient, hub: Hub, recorder: Recorder) -> None:
    message = to_structured(sdk_event(), FORMAT)
    assert message.headers["content-type"] == "application/cloudevents+json"
    assert post(client, message).status_code == 202
    assert stored(hub) == [json.loads(message.body)]
    run_all(hub)
    assert recorder.applied == [("A-1001", 1)]


def test_batched_mode_with_sdk_written_events(client: TestClient, hub: Hub, recorder: Recorder) -> None:
    events = [json.loads(FORMAT.write(sdk_event(f"A-{n}"))) for n in (1, 2)]
    answer = client.post("/api/v1/events", content=json.dumps(events),
                         headers={"Content-Type": CE_BATCH, **AUTH})
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 2
    assert stored(hub) == events
    run_all(hub)
    assert sorted(recorder.applied) == [("A-1", 1), ("A-2", 1)]


def test_data_base64_is_decoded_for_the_flows_and_kept_as_sent(client: TestClient, hub: Hub,
                                                               recorder: Recorder) -> None:
    blob = json.dumps(appointment("A-64")).encode()
    message = to_structured(sdk_event("A-64", data=blob), FORMAT)
    assert b"data_base64" in message.body
    assert post(client, message).status_code == 202
    [payload] = stored(hub)
    assert base64.b64decode(payload["data_base64"]) == blob and "data" not in payload
    run_all(hub)
    assert recorder.applied == [("A-64", 1)]


@pytest.mark.parametrize("mode", ["structured", "binary"])
def test_attribute_names_are_lowercase_letters_and_digits(client: TestClient, hub: Hub, mode: str) -> None:
    if mode == "structured":
        answer = client.post("/api/v1/events", json={**cloudevent(), "Bad_Ext": "x"}, headers=AUTH)
    else:
        message = to_binary(sdk_event(), FORMAT)
        answer = client.post("/api/v1/events", content=message.body,
                             headers={**message.headers, "ce-Bad_Ext": "x", **AUTH})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert "bad_ext" in json.dumps(answer.json()["invalidParams"]).lower()
    assert inbox_count(hub) == 0


def test_binary_mode_without_required_attributes_is_a_problem(client: TestClient, hub: Hub) -> None:
    message = to_binary(sdk_event(), FORMAT)
    headers = {k: v for k, v in message.headers.items() if k != "ce-source"}
    answer = client.post("/api/v1/events", content=message.body, headers={**headers, **AUTH})
    assert answer.status_code == 422
    assert "source" in [p["name"] for p in answer.json()["invalidParams"]]
    assert inbox_count(hub) == 0


def test_other_content_types_without_ce_headers_are_415(client: TestClient) -> None:
    answer = client.post("/api/v1/events", content=b"<x/>", headers={"Content-Type": "application/xml", **AUTH})
    assert answer.status_code == 415


# -- issue 32.3: the appointment id comes from data.id ---------------------------------------------------

def test_an_event_without_subject_cannot_overwrite_a_newer_snapshot(client: TestClient, hub: Hub,
                                                                     recorder: Recorder) -> None:
    assert post(client, to_structured(sdk_event("A-7", 2), FORMAT)).status_code == 202
    run_all(hub)
    assert post(client, to_structured(sdk_event("A-7", 1, subject=False), FORMAT)).status_code == 202
    run_all(hub)
    assert recorder.applied == [("A-7", 2)]  # v1 was skipped as stale, by data.id
    with hub.db.unit_of_work() as s:
        assert list(s.scalars(select(Delivery.status).order_by(Delivery.id))) == ["succeeded", "skipped"]
        assert list(s.scalars(select(InboxEvent.subject))) == ["A-7", "A-7"]


def test_a_subject_that_disagrees_with_data_id_names_both(client: TestClient, hub: Hub) -> None:
    answer = client.post("/api/v1/events", json={**cloudevent(appointment_id="A-1"), "subject": "A-2"},
                         headers=AUTH)
    assert answer.status_code == 422
    names = {p["name"] for p in answer.json()["invalidParams"]}
    assert {"subject", "data.id"} <= names
    assert inbox_count(hub) == 0


# -- the NL GOV webhook guideline: handshake and load shedding --------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/notificaties"])
def test_webhook_validation_handshake(client: TestClient, path: str) -> None:
    answer = client.options(path, headers={"WebHook-Request-Origin": "tip.example.nl"})
    assert answer.status_code == 200
    assert answer.headers["webhook-allowed-origin"] == "tip.example.nl"
    assert answer.headers["webhook-allowed-rate"] == "*"
    assert "POST" in answer.headers["allow"]


def test_backlog_above_its_bound_sheds_load(settings: Settings, recorder: Recorder,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_shedding, "REFRESH_SECONDS", 0.0)  # count on every request
    h = Hub(settings.model_copy(update={"intake_max_backlog": 1, "intake_retry_after_seconds": 7}),
            registry=registry_with(recorder))
    try:
        with TestClient(create_app(h)) as c:
            for n in (1, 2):  # the stub broker runs nothing: both stay pending
                assert c.post("/api/v1/events", json=cloudevent(appointment_id=f"A-{n}"), headers=AUTH
                              ).status_code == 202
            shed = c.post("/api/v1/events", json=cloudevent(appointment_id="A-3"), headers=AUTH)
            assert shed.status_code == 429 and shed.headers["retry-after"] == "7"
            assert shed.headers["content-type"].startswith("application/problem+json")
            assert inbox_count(h) == 2
            run_all(h)  # the backlog drains: intake opens again
            assert c.post("/api/v1/events", json=cloudevent(appointment_id="A-3"), headers=AUTH
                          ).status_code == 202
    finally:
        h.close()


# -- unrouted events are visible ------------------------------------------------------------------------

def test_an_event_no_flow_consumes_is_counted_listed_and_logged(client: TestClient, hub: Hub,
                                                                debug_log: Any) -> None:
    event = {"specversion": "1.0", "id": "x-1", "source": "urn:nld:oin:00000001823288444000:systeem:tip",
             "type": "nl.example.nobody-listens", "data": {"n": 1}}
    assert client.post("/api/v1/events", json=event, headers=AUTH).status_code == 202
    assert operations.status(hub)["unrouted"] == {"nl.example.nobody-listens": 1}
    metrics = client.get("/metrics", headers=AUTH).text
    assert 'afsprakenhub_events_unrouted{type="nl.example.nobody-listens"} 1.0' in metrics
    logged = [json.loads(line) for line in debug_log.getvalue().splitlines() if line.startswith("{")]
    assert any(r.get("event") == "intake.unrouted" and r.get("type") == "nl.example.nobody-listens"
               for r in logged)
    form = client.get("/console/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/console/login", data={"csrf": csrf, "token": "ops-token-987654321", "next": "/console/"})
    overview = client.get("/console/")
    assert 'data-unrouted-type="nl.example.nobody-listens"' in overview.text


def test_an_operator_route_sends_a_type_to_a_flow(settings: Settings, recorder: Recorder) -> None:
    h = Hub(settings.model_copy(update={"event_routes": {"nl.tilburg.afspraken.legacy.*": ["recorder"]}}),
            registry=registry_with(recorder))
    try:
        event = {**cloudevent(), "type": "nl.tilburg.afspraken.legacy.booked"}
        [accepted] = h.intake.accept([parse_event(event)], "tip")
        assert accepted.delivery_ids and operations.status(h)["unrouted"] == {}
    finally:
        h.close()



def test_a_route_to_an_unknown_flow_is_named_at_start(settings: Settings, recorder: Recorder,
                                                     debug_log: Any) -> None:
    h = Hub(settings.model_copy(update={"event_routes": {"nl.example.x": ["recordr"]}}),
            registry=registry_with(recorder))
    h.close()
    logged = [json.loads(line) for line in debug_log.getvalue().splitlines() if line.startswith("{")]
    assert any(r.get("event") == "routing.unknown_flow" and r.get("flows") == ["recordr"] for r in logged)
