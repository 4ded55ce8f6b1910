"""Every route that takes a body (API and console) refuses one over `max_body_bytes` with 413 (problem+json
on the API), announced (Content-Length) or streamed (chunked), and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.store.tables import InboxEvent
from tests.conftest import AUTH
from tests.security.test_auth_matrix import concrete, routes_of
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

LIMIT = 4000
GATE_TOKEN = "gate-one-token-0123456789"
GATE_AUTH = {"Authorization": f"Bearer {GATE_TOKEN}"}


@pytest.fixture
def small(settings: Settings) -> Iterator[tuple[TestClient, Hub]]:
    gate = settings.waste_depot.model_copy(update={"gate_tokens": SecretStr(f"gate-1:{GATE_TOKEN}")})
    hub = Hub(settings.model_copy(update={"max_body_bytes": LIMIT, "waste_depot": gate}),
              registry=registry_with(Recorder()))
    try:
        with TestClient(create_app(hub)) as client:
            yield client, hub
    finally:
        hub.close()


def _oversized() -> bytes:
    event = cloudevent()
    event["data"]["notes"] = "x" * (LIMIT * 4)
    return json.dumps(event).encode()


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_oversized_bodies_are_413_everywhere(small: tuple[TestClient, Hub], streamed: bool) -> None:
    client, hub = small
    doc = client.get("/api/v1/openapi.json").json()
    without_body = {f"/api/v1{path}" for path, ops in doc["paths"].items() if "requestBody" not in ops.get("post", {})}
    posts = sorted(concrete(path) for method, path in routes_of(client.app.routes)  # type: ignore[attr-defined]
                   if method == "POST" and path not in without_body)
    assert {"/api/v1/events", "/api/v1/notificaties", "/console/login"} <= set(posts)
    for path in posts:
        body = _oversized()
        content = iter([body[:LIMIT], body[LIMIT:]]) if streamed else body
        kind = "application/json" if path.startswith("/api/") else "application/x-www-form-urlencoded"
        auth = GATE_AUTH if path.startswith("/api/v1/waste-depot/") else AUTH  # the gate has its own tokens
        response = client.post(path, content=content, headers={"Content-Type": kind, **auth})
        assert response.status_code == 413, (path, response.status_code)
        if path.startswith("/api/"):
            assert response.headers["content-type"].startswith("application/problem+json")
    with hub.db.unit_of_work() as s:
        assert (s.scalar(select(func.count()).select_from(InboxEvent)) or 0) == 0


def test_oversized_without_credentials_is_refused_before_reading(small: tuple[TestClient, Hub]) -> None:
    client, _ = small
    response = client.post("/api/v1/events", content=_oversized(), headers={"Content-Type": "application/json"})
    assert response.status_code in (401, 413)
