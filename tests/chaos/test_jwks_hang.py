"""Fault: the identity provider's JWKS endpoint never answers while callers send fake JWTs (issue 32, defect 4).

A valid static-token POST must be answered while the JWKS is still hung, and however many fake tokens arrive
the hub fetches the key set once (single flight), then not again until `jwks_retry_after_seconds` have passed.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import httpx
import jwt
import pytest

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.serving import ThreadedServer, bind_tcp
from hub.settings import JwtSettings
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with
from tests.support.hung_server import HungServer

FAKES = 60
pytestmark = pytest.mark.timeout(600)  # the bounded waits below fail first, with a message
WAIT = 60.0  # generous bound for a busy machine; the assertions are about order, not time


@pytest.fixture
def jwks() -> Iterator[HungServer]:
    with HungServer() as server:
        yield server


@pytest.fixture
def hub_url(settings: Settings, jwks: HungServer) -> Iterator[str]:
    cfg = JwtSettings(jwks_url=f"{jwks.url}/keys", issuer="https://login.example.nl/tenant",
                      audience="api://afsprakenhub", jwks_timeout_seconds=3600, jwks_retry_after_seconds=3600)
    hub = Hub(settings.model_copy(update={"jwt": cfg}), registry=registry_with(Recorder()))
    server = ThreadedServer(create_app(hub), bind_tcp()).start()
    try:
        yield server.url
    finally:
        jwks.release()  # lets a fetch still in flight end, so the server stops promptly
        server.stop()
        hub.close()


def fake_jwt() -> str:
    return jwt.encode({"sub": "x"}, "not-a-key-of-the-identity-provider", algorithm="HS256",
                      headers={"kid": "nope"})


async def _scenario(url: str, jwks: HungServer) -> None:
    limits = httpx.Limits(max_connections=FAKES + 10)
    async with httpx.AsyncClient(base_url=url, timeout=WAIT, limits=limits) as client:
        fakes = [asyncio.create_task(client.post("/api/v1/events", json=cloudevent(event_id=f"fake-{i}"),
                                                  headers={"Authorization": f"Bearer {fake_jwt()}"}))
                 for i in range(FAKES)]
        assert await asyncio.to_thread(jwks.connected.wait, WAIT), "the hub never asked the JWKS endpoint"

        valid = await client.post("/api/v1/events", json=cloudevent(event_id="valid-1"), headers=AUTH)
        live = await client.get("/api/v1/health/live")

        assert valid.status_code == 202, valid.text
        assert live.status_code == 200
        assert not any(task.done() for task in fakes), "a fake JWT was answered before the JWKS gave up"
        assert jwks.accepted == 1, "one fetch for all fake tokens"

        jwks.release()  # the identity provider goes away: every waiting fake gets a 503 (send again)
        answers = await asyncio.wait_for(asyncio.gather(*fakes), WAIT)
        assert {r.status_code for r in answers} == {503}
        assert all(r.headers["retry-after"] == "3600" for r in answers)

        again = await asyncio.gather(*(client.post("/api/v1/events", json=cloudevent(event_id=f"again-{i}"),
                                                   headers={"Authorization": f"Bearer {fake_jwt()}"})
                                       for i in range(FAKES)))
        assert {r.status_code for r in again} == {503}  # within retry-after: no new fetch at all
        assert jwks.accepted == 1


def test_valid_intake_is_answered_while_the_jwks_hangs(hub_url: str, jwks: HungServer,
                                                      debug_log: io.StringIO) -> None:
    asyncio.run(_scenario(hub_url, jwks))
    assert debug_log.getvalue().count("jwks_unreachable") == 1  # one failed fetch, one line
