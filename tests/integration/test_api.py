"""The HTTP API: intake answers, bad input changes nothing, auth, NL API Design Rules."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from connectors.zgw.settings import ZgwSettings
from hub import operations
from hub.api import auth as auth_module
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.settings import JwtSettings
from hub.store.tables import Delivery, InboxEvent
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, permanent

CE = {"Content-Type": "application/cloudevents+json", **AUTH}
BATCH = {"Content-Type": "application/cloudevents-batch+json", **AUTH}


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as c:
        yield c


def _stored(hub: Hub) -> tuple[int, int]:
    with hub.db.unit_of_work() as s:
        return (s.scalar(select(func.count()).select_from(InboxEvent)) or 0,
                s.scalar(select(func.count()).select_from(Delivery)) or 0)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_event_accepted_then_duplicate(client: TestClient, hub: Hub) -> None:
    first = client.post("/api/v1/events", content=json.dumps(cloudevent()), headers=CE)
    again = client.post("/api/v1/events", content=json.dumps(cloudevent()), headers=CE)
    assert first.status_code == 202 and first.json() == {"id": "A-1001-v1", "duplicate": False}
    assert again.status_code == 202 and again.json() == {"id": "A-1001-v1", "duplicate": True}
    assert _stored(hub) == (1, 1)


def test_plain_json_accepted(client: TestClient) -> None:
    r = client.post("/api/v1/events", json=cloudevent(), headers=AUTH)
    assert r.status_code == 202


def test_batch_with_repeats(client: TestClient, hub: Hub) -> None:
    events = [cloudevent(appointment_id=f"A-{i}") for i in range(90)] + [cloudevent(appointment_id="A-1")] * 10
    r = client.post("/api/v1/events", content=json.dumps(events), headers=BATCH)
    assert r.status_code == 202
    assert (r.json()["accepted"], r.json()["duplicates"]) == (90, 10)
    assert _stored(hub) == (90, 90)


def test_batch_with_one_invalid_event_stores_nothing(client: TestClient, hub: Hub) -> None:
    events = [cloudevent(appointment_id=f"A-{i}") for i in range(5)]
    events[3]["data"]["customer"]["bsn"] = "123456789"
    body = _problem(client.post("/api/v1/events", content=json.dumps(events), headers=BATCH), 422)
    assert body["invalidParams"][0]["name"] == "[3].data.customer.bsn"
    assert _stored(hub) == (0, 0)


@pytest.mark.parametrize("content, headers, status", [
    ("{not json", CE, 400),
    (json.dumps(cloudevent()), {"Content-Type": "text/plain", **AUTH}, 415),
    (json.dumps(cloudevent()), {"Content-Type": "application/xml", **AUTH}, 415),
    (json.dumps({"specversion": "1.0"}), CE, 422),
    (json.dumps([1, 2]), CE, 422),
    (json.dumps({"x": 1}), BATCH, 422),
    (json.dumps(cloudevent()), {"Content-Type": "application/cloudevents+json"}, 401),
    (json.dumps(cloudevent()), {"Content-Type": "application/cloudevents+json",
                                "Authorization": "Bearer wrong"}, 401),
    (json.dumps(cloudevent()), {"Content-Type": "application/cloudevents+json",
                                "Authorization": "Basic dGlwOnNlY3JldA=="}, 401),
])
def test_bad_input_answers_problem_and_stores_nothing(client: TestClient, hub: Hub, content: str,
                                                      headers: dict[str, str], status: int) -> None:
    _problem(client.post("/api/v1/events", content=content, headers=headers), status)
    assert _stored(hub) == (0, 0)


def test_invalid_event_names_field_without_echoing_personal_data(client: TestClient) -> None:
    raw = cloudevent()
    raw["data"]["customer"]["email"] = "jan-at-example.nl"
    body = _problem(client.post("/api/v1/events", json=raw, headers=AUTH), 422)
    assert body["invalidParams"][0]["name"] == "data.customer.email"
    assert "jan-at-example.nl" not in json.dumps(body)


def test_body_over_limit_is_413(settings: Settings, recorder: Recorder) -> None:
    from tests.support.flows import registry_with

    small = settings.model_copy(update={"max_body_bytes": 2000})
    h = Hub(small, registry=registry_with(recorder))
    try:
        with TestClient(create_app(h)) as c:
            raw = cloudevent()
            raw["data"]["notes"] = "x" * 5000
            _problem(c.post("/api/v1/events", content=json.dumps(raw), headers=CE), 413)

            def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
                yield json.dumps(raw).encode()

            _problem(c.post("/api/v1/events", content=chunks(), headers=CE), 413)
        assert _stored(h) == (0, 0)
    finally:
        h.close()


def test_api_version_header_everywhere(client: TestClient) -> None:
    for r in (client.get("/api/v1/health/live"), client.get("/api/v1/deliveries"),
              client.get("/api/v1/nope"), client.get("/metrics", headers=AUTH)):
        assert r.headers["api-version"] == "1.0.0"


def test_no_trailing_slash_redirect(client: TestClient) -> None:
    r = client.get("/api/v1/health/live/", follow_redirects=False)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_liveness_open_everything_else_needs_auth(client: TestClient) -> None:
    assert client.get("/api/v1/health/live").status_code == 200
    for method, path in [("get", "/api/v1/health/ready"), ("get", "/api/v1/deliveries"),
                         ("post", "/api/v1/deliveries/1/replay"), ("get", "/api/v1/appointments/A-1/trace"),
                         ("get", "/metrics"), ("post", "/api/v1/notificaties")]:
        _problem(getattr(client, method)(path), 401)


def test_readiness_checks_store_broker_and_loops(client: TestClient) -> None:
    r = client.get("/api/v1/health/ready", headers=AUTH)
    assert r.status_code == 200 and r.json()["checks"] == {"store": "up", "broker": "up", "loops": "up"}


def test_openapi_document_follows_design_rules(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["contact"]["email"] and any("/v1" in s["url"] for s in doc["servers"])
    for path in doc["paths"]:
        assert (not path.endswith("/") and path == path.lower()) or "{" in path
    assert "/events" in doc["paths"] and "/notificaties" in doc["paths"]


def test_operations_endpoints(client: TestClient, hub: Hub, recorder: Recorder) -> None:
    recorder.failures = [permanent("DUPLICATE_VALUE")]
    client.post("/api/v1/events", json=cloudevent(), headers=AUTH)
    [d] = [v.id for v in operations.list_deliveries(hub)]
    hub.runtime.processor.process(d)
    dead = client.get("/api/v1/deliveries", params={"status": "dead", "flow": "recorder"}, headers=AUTH).json()
    assert [i["id"] for i in dead["items"]] == [d] and dead["items"][0]["lastError"] == "DUPLICATE_VALUE"
    _problem(client.get("/api/v1/deliveries", params={"status": "bogus"}, headers=AUTH), 400)
    r = client.post(f"/api/v1/deliveries/{d}/replay", headers=AUTH)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    hub.runtime.processor.process(d)
    _problem(client.post(f"/api/v1/deliveries/{d}/replay", headers=AUTH), 409)
    _problem(client.post("/api/v1/deliveries/999/replay", headers=AUTH), 404)
    trace = client.get("/api/v1/appointments/A-1001/trace", headers=AUTH).json()
    assert trace["events"][0]["deliveries"][0]["status"] == "succeeded"


def test_metrics_exposes_counts(client: TestClient) -> None:
    client.post("/api/v1/events", json=cloudevent(), headers=AUTH)
    text = client.get("/metrics", headers=AUTH).text
    assert 'afsprakenhub_deliveries{flow="recorder",status="pending"} 1.0' in text
    assert "afsprakenhub_events_received_total" in text and "afsprakenhub_peer_calls_total" in text


ZAKEN_API = ZgwSettings().zaken_base_urls[0]  # notifications naming another API are refused at intake
NOTIFICATIE = {
    "kanaal": "zaken", "hoofdObject": f"{ZAKEN_API}/zaken/abc",
    "resource": "status", "resourceUrl": f"{ZAKEN_API}/statussen/def",
    "actie": "create", "aanmaakdatum": "2027-03-01T10:00:00Z",
    "kenmerken": {"bronorganisatie": "002564440", "zaaktype": "https://catalogi.example.nl/zaaktypen/1"},
}


def test_notificatie_intake_dedupe_and_auth(settings: Settings, recorder: Recorder) -> None:
    from tests.support.flows import registry_with

    s = settings.model_copy(update={"notificaties_auth": SecretStr("Token nrc-secret-123")})
    h = Hub(s, registry=registry_with(recorder))
    try:
        with TestClient(create_app(h)) as c:
            ok = c.post("/api/v1/notificaties", json=NOTIFICATIE, headers={"Authorization": "Token nrc-secret-123"})
            assert ok.status_code == 204 and ok.content == b""
            assert c.post("/api/v1/notificaties", json=NOTIFICATIE, headers=AUTH).status_code == 204
            _problem(c.post("/api/v1/notificaties", json=NOTIFICATIE, headers={"Authorization": "Token x"}), 401)
            _problem(c.post("/api/v1/notificaties", json={"kanaal": "zaken"}, headers=AUTH), 422)
            _problem(c.post("/api/v1/notificaties", content="nope", headers={"Content-Type": "application/json",
                                                                           **AUTH}), 400)
        with h.db.unit_of_work() as session:
            types = list(session.scalars(select(InboxEvent.type)))
        assert types == ["nl.overheid.zaken.status.create"]
    finally:
        h.close()


@pytest.mark.parametrize("configured", [{"notificaties_auth": "Token nrc-secret-123"},
                                        {"zgw.abonnement_auth": "Token nrc-secret-123"},
                                        {"notificaties_auth": "Token old-value-456",
                                         "zgw.abonnement_auth": "Token nrc-secret-123"}])
def test_notificatie_accepts_the_auth_value_subscribe_registered(settings: Settings, recorder: Recorder,
                                                                  configured: dict[str, str]) -> None:
    """`zgw subscribe` registers zgw.abonnement_auth when set: the NRC sending it back must get in (was 401)."""
    from tests.support.flows import registry_with

    update: dict[str, Any] = {}
    if "notificaties_auth" in configured:
        update["notificaties_auth"] = SecretStr(configured["notificaties_auth"])
    if "zgw.abonnement_auth" in configured:
        value = SecretStr(configured["zgw.abonnement_auth"])
        update["zgw"] = settings.zgw.model_copy(update={"abonnement_auth": value})
    h = Hub(settings.model_copy(update=update), registry=registry_with(recorder))
    try:
        with TestClient(create_app(h)) as c:
            ok = c.post("/api/v1/notificaties", json=NOTIFICATIE, headers={"Authorization": "Token nrc-secret-123"})
            assert ok.status_code == 204, ok.text
            _problem(c.post("/api/v1/notificaties", json=NOTIFICATIE, headers={"Authorization": "Token nope"}), 401)
        with h.db.unit_of_work() as session:
            assert session.scalars(select(InboxEvent.caller)).all() == ["nrc"]
    finally:
        h.close()


@pytest.fixture
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwt(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {"iss": "https://login.example.nl/tenant", "aud": "api://afsprakenhub", "azp": "tip-boomi",
               "exp": now + timedelta(minutes=5), "iat": now, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.mark.parametrize("claims, ok", [({}, True), ({"iss": "https://evil.example.nl"}, False),
                                        ({"aud": "api://other"}, False),
                                        ({"exp": datetime.now(UTC) - timedelta(minutes=1)}, False)])
def test_jwt_validation(settings: Settings, recorder: Recorder, rsa_key: rsa.RSAPrivateKey,
                        monkeypatch: pytest.MonkeyPatch, claims: dict[str, Any], ok: bool) -> None:
    from tests.support.flows import registry_with

    class FakeKeys:
        async def key(self, kid: str) -> Any:
            return type("K", (), {"key": rsa_key.public_key()})()

    monkeypatch.setattr(auth_module, "keys_for", lambda cfg: FakeKeys())
    s = settings.model_copy(update={"jwt": JwtSettings(jwks_url="https://login.example.nl/keys",
                                                      issuer="https://login.example.nl/tenant",
                                                      audience="api://afsprakenhub")})
    h = Hub(s, registry=registry_with(recorder))
    try:
        with TestClient(create_app(h)) as c:
            bearer = {"Authorization": f"Bearer {_jwt(rsa_key, **claims)}"}
            r = c.post("/api/v1/events", json=cloudevent(), headers=bearer)
            assert r.status_code == (202 if ok else 401)
        if ok:
            with h.db.unit_of_work() as session:
                assert session.scalars(select(InboxEvent.caller)).one() == "jwt:tip-boomi"
    finally:
        h.close()


def test_unreachable_jwks_answers_503_with_retry_after_and_stores_nothing(
        settings: Settings, recorder: Recorder, rsa_key: rsa.RSAPrivateKey) -> None:
    """A token the hub cannot check yet is not a bad token: 503 (send again), not 401 (stop)."""
    from tests.support.flows import registry_with

    with socket.socket() as probe:  # a loopback port nobody listens on: connection refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = settings.model_copy(update={"jwt": JwtSettings(jwks_url=f"http://127.0.0.1:{port}/keys",
                                                      issuer="https://login.example.nl/tenant",
                                                      audience="api://afsprakenhub")})
    h = Hub(s, registry=registry_with(recorder))
    try:
        with TestClient(create_app(h)) as c:
            r = c.post("/api/v1/events", json=cloudevent(), headers={"Authorization": f"Bearer {_jwt(rsa_key)}"})
            body = _problem(r, 503)
            assert r.headers["retry-after"] == str(s.jwt.jwks_retry_after_seconds)
            assert "JWKS" in body["detail"]
            _problem(c.post("/api/v1/events", json=cloudevent(), headers={"Authorization": "Bearer a.b.c"}), 401)
            assert c.post("/api/v1/events", json=cloudevent(), headers=AUTH).status_code == 202  # tokens still work
        with h.db.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(InboxEvent)) == 1
    finally:
        h.close()


def test_caller_name_recorded(client: TestClient, hub: Hub) -> None:
    client.post("/api/v1/events", json=cloudevent(), headers={"Authorization": "Bearer ops-token-987654321"})
    with hub.db.unit_of_work() as s:
        assert s.scalars(select(InboxEvent.caller)).one() == "ops"


def test_an_unknown_query_parameter_is_a_problem_not_ignored(client: TestClient) -> None:
    typo = client.get("/api/v1/deliveries?stauts=dead", headers=AUTH)  # would list every delivery if ignored
    assert typo.status_code == 400 and typo.headers["content-type"].startswith("application/problem+json")
    assert typo.json()["invalidParams"] == [{"name": "stauts", "reason": "not a parameter of this operation"}]
    assert client.get("/api/v1/deliveries?status=dead&limit=5", headers=AUTH).status_code == 200
