"""Schemathesis against the hub's own OpenAPI document, with auth: no 5xx, every error is problem+json,
and a rejected request stores nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import func, select
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.registry import FlowRegistry
from hub.store.tables import AuditRecord, Delivery, InboxEvent
from tests.conftest import AUTH


class SwitchableApp:
    """One ASGI entry point for the schema, pointed at each test's own app (and store)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


# The document does not depend on the store: read it from an app over an unused in-memory one.
APP = SwitchableApp(create_app(Hub(Settings(database_url="sqlite://"), registry=FlowRegistry())))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)
# Valid and invalid input alike; examples, seed and database come from the hypothesis profile (conftest).
# NUL characters are refused on purpose (PostgreSQL text cannot hold them): test_found_by_fuzzing pins that.
schema.config.generation.update(modes=list(schemathesis.GenerationMode), database="none")


@pytest.fixture
def served(hub: Hub) -> Iterator[Hub]:
    app = create_app(hub)
    with TestClient(app):  # run the lifespan
        APP.app = app
        yield hub


def _stored(hub: Hub) -> tuple[int, int, int]:
    with hub.db.unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (InboxEvent, Delivery, AuditRecord))


@schema.parametrize()
def test_every_operation(case: schemathesis.Case, served: Hub) -> None:
    before = _stored(served)
    headers = case.headers or {}
    # A negative case may leave the bearer token out on purpose (the document requires it): send it as made,
    # so the hub's 401 is what is checked; every other case gets the test's valid token.
    drops_auth = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER) and not any(
        k.lower() == "authorization" for k in headers)
    response = case.call_and_validate() if drops_auth else case.call_and_validate(headers=AUTH)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json"), response.headers
        assert _stored(served) == before, f"{case.method} {case.path} answered {response.status_code} but stored"

