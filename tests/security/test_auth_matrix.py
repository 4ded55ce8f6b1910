"""Every route of the app (found by walking it, so new routes are covered) refuses callers without valid
credentials: no token, a wrong token, another scheme, and JWTs of the wrong issuer, audience, key or algorithm,
or expired. API routes answer 401 problem+json; console pages send the browser to the login page."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import fastapi.routing
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import BaseRoute, Mount, Route

from hub.api import auth as auth_module
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.settings import JwtSettings
from hub.store.tables import AuditRecord, InboxEvent
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

ISSUER, AUDIENCE = "https://login.example.nl/tenant", "api://afsprakenhub"
#: Open by design: liveness, the API description, and the console's way in.
PUBLIC = {"/api/v1/health/live", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/oauth2-redirect",
          "/console", "/console/login", "/console/login/oidc", "/console/auth/callback", "/console/logout"}
#: The webhook validation handshake (NL GOV / CloudEvents webhook): answers before any credentials exist, stores
#: and reveals nothing.
PUBLIC_METHODS = {("OPTIONS", "/api/v1/events"), ("OPTIONS", "/api/v1/notificaties")}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _flat(routes: list[BaseRoute]) -> Iterator[tuple[BaseRoute, str | None, set[str] | None]]:
    """(route, its full path, its methods), with included routers expanded (FastAPI 0.137 keeps them as nodes
    in `routes`; `fastapi.routing.iter_route_contexts` is the public way to flatten them)."""
    expand = getattr(fastapi.routing, "iter_route_contexts", None)
    if expand is None:  # before 0.137: include_router copied the routes in
        for route in routes:
            yield route, getattr(route, "path", None), getattr(route, "methods", None)
        return
    for context in expand(routes):
        yield context.original_route, context.path, context.methods


def routes_of(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint, descending into mounted apps and included routers (static files are
    not endpoints)."""
    for route, path, methods in _flat(routes):
        if isinstance(route, Mount) and hasattr(route.app, "routes"):
            yield from routes_of(route.app.routes, prefix + route.path)
        elif isinstance(route, Route) and path is not None:
            for method in sorted((methods or {"GET"}) - {"HEAD"}):
                yield method, prefix + path


def concrete(path: str) -> str:
    while "{" in path:
        start = path.index("{")
        path = path[:start] + "1" + path[path.index("}", start) + 1:]
    return path


def _token(key: rsa.RSAPrivateKey | None = KEY, algorithm: str = "RS256", **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {"iss": ISSUER, "aud": AUDIENCE, "azp": "tip-boomi", "exp": now + timedelta(minutes=5), "iat": now,
               **claims}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": "k1"})  # type: ignore[arg-type]


def _hs256_with_public_key() -> str:
    """The algorithm-confusion attack: HS256 signed with the server's public key as the secret."""
    public = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = jwt.utils.base64url_encode(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "azp": "x",
                                                 "exp": int(datetime.now(UTC).timestamp()) + 300}).encode())
    signature = hmac.new(public, header + b"." + body, hashlib.sha256).digest()
    return (header + b"." + body + b"." + jwt.utils.base64url_encode(signature)).decode()


BAD_CREDENTIALS: dict[str, dict[str, str]] = {
    "none": {},
    "wrong token": {"Authorization": "Bearer not-the-token-0123456789"},
    "empty bearer": {"Authorization": "Bearer "},
    "basic": {"Authorization": "Basic dGlwOnRlc3QtdG9rZW4tMDEyMzQ1Njc4OQ=="},
    "token without scheme": {"Authorization": "test-token-0123456789"},
    "jwt wrong issuer": {"Authorization": f"Bearer {_token(iss='https://evil.example.nl')}"},
    "jwt wrong audience": {"Authorization": f"Bearer {_token(aud='api://other')}"},
    "jwt expired": {"Authorization": f"Bearer {_token(exp=datetime.now(UTC) - timedelta(minutes=1))}"},
    "jwt other key": {"Authorization": f"Bearer {_token(OTHER_KEY)}"},
    "jwt alg none": {"Authorization": f"Bearer {_token(None, 'none')}"},
    "jwt hs256 with public key": {"Authorization": f"Bearer {_hs256_with_public_key()}"},
    "jwt without exp": {"Authorization": f"Bearer {_token(exp=None)}"},
}


class FakeKeys:
    async def key(self, kid: str) -> Any:
        return type("Key", (), {"key": KEY.public_key()})()


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FastAPI, Hub]]:
    monkeypatch.setattr(auth_module, "keys_for", lambda cfg: FakeKeys())
    with_jwt = settings.model_copy(update={"jwt": JwtSettings(jwks_url="https://login.example.nl/keys",
                                                              issuer=ISSUER, audience=AUDIENCE)})
    hub = Hub(with_jwt, registry=registry_with(Recorder()))
    try:
        yield create_app(hub), hub
    finally:
        hub.close()


def test_the_walk_finds_the_protected_routes(app: tuple[FastAPI, Hub]) -> None:
    found = set(routes_of(app[0].routes))
    assert {("POST", "/api/v1/events"), ("POST", "/api/v1/notificaties"), ("GET", "/metrics"),
            ("GET", "/api/v1/deliveries"), ("POST", "/api/v1/deliveries/{deliveryId}/replay")} <= found


def test_a_valid_jwt_is_accepted(app: tuple[FastAPI, Hub]) -> None:
    with TestClient(app[0]) as client:  # the control: the refusals below are about the credentials
        assert client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {_token()}"}).status_code == 200


def _refused(method: str, path: str, response: Any) -> str | None:
    """Why the answer is not a refusal (None when it is one)."""
    if path.startswith("/console"):
        location = response.headers.get("location", "")
        if response.status_code in (401, 403) or (300 <= response.status_code < 400 and "/login" in location):
            return None
        return f"{response.status_code} {location}"
    if response.status_code != 401:
        return f"{response.status_code}"
    if not response.headers["content-type"].startswith("application/problem+json"):
        return "not problem+json"
    if "Bearer" not in response.headers.get("www-authenticate", ""):
        return "no Bearer challenge"
    return None


def test_every_route_refuses_bad_credentials(app: tuple[FastAPI, Hub]) -> None:
    root, hub = app
    body = json.dumps(cloudevent()).encode()
    failures: list[str] = []
    with TestClient(root, follow_redirects=False) as client:
        for method, path in sorted(set(routes_of(root.routes))):
            if path in PUBLIC or (method, path) in PUBLIC_METHODS:
                continue
            for name, headers in BAD_CREDENTIALS.items():
                response = client.request(method, concrete(path), content=body if method == "POST" else None,
                                          headers={"Content-Type": "application/cloudevents+json", **headers})
                why = _refused(method, path, response)
                if why:
                    failures.append(f"{method} {path} with {name}: {why}")
    assert not failures, "\n".join(failures)
    with hub.db.unit_of_work() as s:
        assert (s.scalar(select(func.count()).select_from(InboxEvent)) or 0) == 0
        assert (s.scalar(select(func.count()).select_from(AuditRecord)) or 0) == 0
