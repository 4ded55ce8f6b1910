"""What the fuzz run found, one request each: answered 4xx problem+json, nothing stored (a 500 before the fix;
the NUL cases on PostgreSQL, whose text columns refuse NUL characters)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.model import parse_event
from hub.notificaties import Notificatie
from hub.store.tables import InboxEvent
from tests.conftest import AUTH
from tests.support.events import cloudevent

NOTIFICATIE = {"kanaal": "zaken", "hoofdObject": "https://zaken.example.nl/api/v1/zaken/1", "resource": "status",
               "resourceUrl": "https://zaken.example.nl/api/v1/statussen/1", "actie": "create",
               "aanmaakdatum": "2027-03-01T10:00:00Z", "kenmerken": {}}


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub), raise_server_exceptions=False) as c:
        yield c


def _event_with_nul() -> dict[str, Any]:
    event = cloudevent()
    event["data"]["customer"]["lastName"] = "Dijk\x00"
    return event


def _event_with(**data: Any) -> dict[str, Any]:
    event = cloudevent()
    event["data"].update(data)
    return event


@pytest.mark.parametrize("method, path, kwargs", [
    ("post", "/api/v1/deliveries/2147483648/replay", {}),
    ("post", "/api/v1/deliveries/99999999999999999999/replay", {}),
    ("get", "/api/v1/deliveries", {"params": {"offset": str(2**63)}}),
    ("get", "/api/v1/deliveries", {"params": {"flow": "recorder\x00"}}),
    ("get", "/api/v1/appointments/A-1%00/trace", {}),
    ("post", "/api/v1/events", {"json": [{"id": "0", "source": "0", "specversion": "1.0", "type": "\x00"}],
                                "headers": {"Content-Type": "application/cloudevents-batch+json"}}),
    ("post", "/api/v1/events", {"json": _event_with_nul()}),
    ("post", "/api/v1/notificaties", {"json": {**NOTIFICATIE, "resource": "\x00"}}),
    ("post", "/api/v1/events", {"json": {**cloudevent(), "time": 0}}),  # a number is not a time (was 1970)
    ("post", "/api/v1/events", {"json": _event_with(start=1_800_000_000)}),
    ("post", "/api/v1/notificaties", {"json": {**NOTIFICATIE, "aanmaakdatum": 0}}),
])
def test_refused_as_a_problem_and_nothing_stored(client: TestClient, hub: Hub, method: str, path: str,
                                                 kwargs: dict[str, Any]) -> None:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    with hub.db.unit_of_work() as s:
        assert (s.scalar(select(func.count()).select_from(InboxEvent)) or 0) == 0


def test_nul_characters_are_named_not_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(_event_with_nul())
    assert "data.customer.lastName" in str(caught.value) and "Dijk" not in json.dumps(caught.value.errors(
        include_input=False, include_url=False, include_context=False))
    with pytest.raises(ValidationError):
        Notificatie.model_validate({**NOTIFICATIE, "kenmerken": {"zaaktype": "x\x00"}})


def test_the_document_says_what_the_api_refuses(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    batch = doc["paths"]["/events"]["post"]["requestBody"]["content"]["application/cloudevents-batch+json"]
    assert batch["schema"]["minItems"] == 1
    notificatie = doc["components"]["schemas"]["Notificatie"]
    assert notificatie["properties"]["hoofdObject"]["pattern"].startswith("^")
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if path != "/health/live" and method != "options":
                assert {"400", "401"} <= set(operation["responses"]), (method, path)
    replay = doc["paths"]["/deliveries/{deliveryId}/replay"]["post"]["responses"]
    assert "application/problem+json" in replay["409"]["content"]
