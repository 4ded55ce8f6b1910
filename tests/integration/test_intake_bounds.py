"""Inputs that once answered 500 (issue 32.6) and notifications that once became dead letters (issue 32.10):
each is now a 4xx (or 503) problem answer with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.core.bindings.http import to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from connectors.zgw.settings import ZgwSettings
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.store.tables import InboxEvent
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

ZAKEN_API = ZgwSettings().zaken_base_urls[0]
NOTIFICATIE = {"kanaal": "zaken", "hoofdObject": f"{ZAKEN_API}/zaken/1", "resource": "status",
               "resourceUrl": f"{ZAKEN_API}/statussen/1", "actie": "create",
               "aanmaakdatum": "2027-03-01T10:00:00Z", "kenmerken": {}}


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub), raise_server_exceptions=False) as c:
        yield c


def inbox_count(hub: Hub) -> int:
    with hub.db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent)) or 0


def refused(answer: Any, status: int | None = None) -> dict[str, Any]:
    assert 400 <= answer.status_code < 500 if status is None else answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    return body


def _nested_extension(levels: int) -> bytes:
    event = json.dumps(cloudevent())
    return (event[:-1] + ', "deep": ' + "[" * levels + "]" * levels + "}").encode()


def _with_version(version: str) -> bytes:
    event = cloudevent()
    event["data"]["version"] = 999_999
    return json.dumps(event).replace("999999", version).encode()


@pytest.mark.parametrize("body, status", [
    pytest.param(_nested_extension(300), 400, id="300 levels in an extension attribute"),
    pytest.param(b"[" * 100_000, 400, id="100000 nested ["),
    pytest.param(_with_version("9" * 4301), 400, id="integer of 4301 digits"),
    pytest.param(_with_version(str(2**63)), 400, id="version 2^63"),
    pytest.param(_with_version(str(2**31)), 422, id="version 2^31 (PostgreSQL int4)"),
    pytest.param(_with_version("true"), 422, id="version true"),
    pytest.param(_with_version("1e400"), 400, id="a number too large for a float"),
    pytest.param(_with_version("NaN"), 400, id="NaN"),
    pytest.param(_nested_extension(2), 422, id="an extension that is a JSON array"),
    pytest.param(json.dumps(cloudevent(), ensure_ascii=True).replace("Jan", "\\ud800").encode(), 400,
                 id="half a surrogate pair"),
])
def test_out_of_bounds_bodies_are_problems_and_store_nothing(client: TestClient, hub: Hub, body: bytes,
                                                            status: int) -> None:
    batch = b"[" + body + b"]" if body.startswith(b"{") else body
    for content_type, payload in (("application/cloudevents+json", body),
                                  ("application/cloudevents-batch+json", batch)):
        refused(client.post("/api/v1/events", content=payload, headers={"Content-Type": content_type, **AUTH}),
                status)
    refused(client.post("/api/v1/notificaties", content=body, headers={"Content-Type": "application/json", **AUTH}))
    assert inbox_count(hub) == 0


def test_the_largest_storable_version_is_stored(client: TestClient, hub: Hub) -> None:
    answer = client.post("/api/v1/events", content=_with_version(str(2**31 - 1)),
                         headers={"Content-Type": "application/cloudevents+json", **AUTH})
    assert answer.status_code == 202, answer.text
    assert inbox_count(hub) == 1


def test_a_store_that_does_not_answer_is_503_with_retry_after(settings: Settings, recorder: Recorder) -> None:
    # Nothing listens on port 9 (discard) of loopback: every connection is refused, as during a restart.
    down = Hub(settings.model_copy(update={"database_url": "postgresql+psycopg://postgres@127.0.0.1:9/none"}),
               registry=registry_with(recorder))
    try:
        with TestClient(create_app(down), raise_server_exceptions=False) as c:
            answer = c.post("/api/v1/events", json=cloudevent(), headers=AUTH)
            refused(answer, 503)
            assert int(answer.headers["retry-after"]) > 0
            answer = c.post("/api/v1/notificaties", json=NOTIFICATIE, headers=AUTH)
            refused(answer, 503)
            assert int(answer.headers["retry-after"]) > 0
    finally:
        down.close()


# -- 32.10: URLs outside the configured Zaken APIs are refused at intake -----------------------------------

@pytest.mark.parametrize("field", ["hoofdObject", "resourceUrl"])
def test_a_notification_naming_another_api_is_refused_naming_the_rule(client: TestClient, hub: Hub,
                                                                      field: str) -> None:
    message = {**NOTIFICATIE, field: "https://evil.example.nl/zaken/api/v1/zaken/1"}
    problem = refused(client.post("/api/v1/notificaties", json=message, headers=AUTH), 422)
    assert "zgw-urls-outside-zaken-api" in problem["type"] and "Zaken API" in problem["detail"]
    assert [p["name"] for p in problem["invalidParams"]] == [field]
    assert inbox_count(hub) == 0


def test_a_zaken_cloudevent_naming_another_api_is_refused(client: TestClient, hub: Hub) -> None:
    event = SdkEvent({"type": "nl.overheid.zaken.zaak-gesloten",
                      "source": "urn:nld:oin:00000001823288444000:systeem:oz", "id": "z-1",
                      "datacontenttype": "application/json"},
                     {"zaak": "https://evil.example.nl/zaken/api/v1/zaken/1"})
    message = to_structured(event, JSONFormat())
    for path in ("/api/v1/events", "/api/v1/notificaties"):
        refused(client.post(path, content=message.body, headers={**message.headers, **AUTH}), 422)
    assert inbox_count(hub) == 0


def test_a_cloudevent_is_accepted_on_the_notificaties_callback(client: TestClient, hub: Hub) -> None:
    event = SdkEvent({"type": "nl.overheid.zaken.zaakstatus-gewijzigd",
                      "source": "urn:nld:oin:00000001823288444000:systeem:oz", "id": "z-2",
                      "datacontenttype": "application/json"},
                     {"zaak": f"{ZAKEN_API}/zaken/1", "status": f"{ZAKEN_API}/statussen/2"})
    message = to_structured(event, JSONFormat())
    answer = client.post("/api/v1/notificaties", content=message.body, headers={**message.headers, **AUTH})
    assert answer.status_code == 204, answer.text
    plain = client.post("/api/v1/notificaties", content=message.body,  # the same event as application/json
                        headers={"Content-Type": "application/json", **AUTH})
    assert plain.status_code == 204
    assert inbox_count(hub) == 1  # one event: the second is its duplicate
