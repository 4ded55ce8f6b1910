"""JWKS lookups are cached and bounded: unknown key ids are remembered, and callers never drive fetches."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.serving import ThreadedServer, bind_tcp
from hub.settings import JwtSettings
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER, AUDIENCE = "https://login.example.nl/tenant", "api://afsprakenhub"


class JwksServer:
    """Publishes KEY as kid `k1` on loopback and counts the fetches."""

    def __init__(self) -> None:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()
        outer = self
        self.fetches = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/keys"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def token(kid: str, key: rsa.RSAPrivateKey = KEY) -> str:
    now = datetime.now(UTC)
    return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "azp": "tip-boomi", "iat": now,
                       "exp": now + timedelta(minutes=5)}, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture
def hub_url(settings: Settings, jwks: JwksServer) -> Iterator[str]:
    cfg = JwtSettings(jwks_url=jwks.url, issuer=ISSUER, audience=AUDIENCE, unknown_kid_seconds=3600)
    hub = Hub(settings.model_copy(update={"jwt": cfg}), registry=registry_with(Recorder()))
    server = ThreadedServer(create_app(hub), bind_tcp()).start()
    yield server.url
    server.stop()
    hub.close()


async def _post_all(url: str, tokens: list[str]) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=100)) as client:
        answers = await asyncio.gather(*(client.post("/api/v1/events", json=cloudevent(event_id=f"e-{i}"),
                                                     headers={"Authorization": f"Bearer {t}"})
                                         for i, t in enumerate(tokens)))
    return [r.status_code for r in answers]


def test_unknown_key_ids_do_not_make_the_hub_fetch_again(hub_url: str, jwks: JwksServer) -> None:
    assert asyncio.run(_post_all(hub_url, [token("k1")])) == [202]
    assert jwks.fetches == 1
    unknown = [token("nope")] * 50 + [token(f"random-{i}") for i in range(50)]
    assert set(asyncio.run(_post_all(hub_url, unknown))) == {401}
    assert jwks.fetches == 1  # a fetch just happened: an unknown kid would not be in a new one either
    assert asyncio.run(_post_all(hub_url, [token("k1")] * 5)) == [202] * 5
    assert jwks.fetches == 1  # the key set is cached


def test_concurrent_first_callers_share_one_fetch(hub_url: str, jwks: JwksServer) -> None:
    statuses = asyncio.run(_post_all(hub_url, [token("k1")] * 30 + [token("nope")] * 30))
    assert statuses == [202] * 30 + [401] * 30
    assert jwks.fetches == 1


def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(hub_url: str, jwks: JwksServer) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert asyncio.run(_post_all(hub_url, [token("k1", other)])) == [401]
