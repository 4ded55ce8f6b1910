"""The simulator framework: server lifecycle, call log, fault knobs, control endpoints."""

from __future__ import annotations

import httpx
import pytest

from sandbox.faults import FaultInjector, Faults
from sandbox.framework import Simulator
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer


def test_server_picks_a_free_port_and_stops() -> None:
    sim = Simulator("echo", "/echo")

    @sim.app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    with SandboxServer(sim) as server:
        assert server.port > 0
        assert sim.base_url == server.url("/echo")
        assert httpx.get(f"{sim.base_url}/ping").json() == {"pong": "yes"}
        assert httpx.get(server.url("/_sandbox")).json() == {"echo": {"url": sim.base_url}}
        url = server.url("/echo/ping")
    assert not server.running
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=2)


def test_prefix_must_be_clean() -> None:
    with pytest.raises(ValueError, match="prefix"):
        Simulator("x", "/x/")


def test_call_log_records_calls_without_authorization(api: httpx.Client, register: RegisterSimulator) -> None:
    api.get("/products", params={"limit": 2}, headers={"X-Trace": "abc"})
    call = register.calls.find("GET", "/api/v1/products")[-1]
    assert call.status == 200
    assert call.query == {"limit": "2"}
    assert call.headers["x-trace"] == "abc"
    assert "authorization" not in call.headers
    token_call = register.calls.find("POST", "/oauth/token")[0]
    assert token_call.body["client_secret"] == "***"
    assert token_call.body["client_id"] == "afsprakenhub"


def test_control_endpoints(server: SandboxServer, register: RegisterSimulator, api: httpx.Client) -> None:
    control = f"{register.base_url}/_sandbox"
    assert httpx.get(f"{control}/faults").json()["error_rate"] == 0.0
    r = httpx.put(f"{control}/faults", json={"error_rate": 1.0, "error_status": 502})
    assert r.status_code == 200 and register.faults.error_status == 502
    assert api.get("/products").status_code == 502
    httpx.put(f"{control}/faults", json={})
    calls = httpx.get(f"{control}/calls").json()
    assert [c["status"] for c in calls if c["path"] == "/api/v1/products"] == [502]
    assert calls[-1]["fault"] == "error"
    assert httpx.delete(f"{control}/calls").json()["deleted"] == len(calls)
    assert len(register.calls) == 0  # control calls are not logged


def test_throttle_answers_429_with_retry_after(api: httpx.Client, register: RegisterSimulator) -> None:
    register.set_faults(throttle_rate=1.0, retry_after_s=7)
    r = api.get("/products")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["API-Version"] == "1.0.0"
    assert register.calls.all()[-1].fault == "throttle"


def test_error_rate_answers_the_configured_status(api: httpx.Client, register: RegisterSimulator) -> None:
    register.set_faults(error_rate=1.0, error_status=500)
    assert [api.get("/locations").status_code for _ in range(3)] == [500, 500, 500]
    register.set_faults(Faults())
    assert api.get("/locations").status_code == 200


def test_drop_makes_the_client_see_a_transport_error(api: httpx.Client, register: RegisterSimulator) -> None:
    register.set_faults(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        api.get("/products")
    assert register.calls.all()[-1].fault == "drop"
    register.set_faults(drop_rate=0.0)
    assert api.get("/products").status_code == 200


def test_fail_next_is_consumed_in_order(api: httpx.Client, register: RegisterSimulator) -> None:
    register.set_faults(fail_next=[503, 429, 500], retry_after_s=2)
    statuses = [api.get("/rooms").status_code for _ in range(4)]
    assert statuses == [503, 429, 500, 200]
    assert register.faults.fail_next == []
    assert [c.fault for c in register.calls.find(path="/api/v1/rooms")] == ["fail_next"] * 3 + [None]


def test_latency_knob_is_applied_and_answers_normally(api: httpx.Client, register: RegisterSimulator) -> None:
    register.set_faults(latency_ms=5)
    assert api.get("/counters").status_code == 200
    assert register.faults.latency_ms == 5
    assert FaultInjector(Faults(latency_ms=5)).decide().latency_ms == 5


def test_faults_are_reproducible_with_a_seed() -> None:
    def run(seed: int) -> list[str | None]:
        injector = FaultInjector(Faults(error_rate=0.3, throttle_rate=0.3, drop_rate=0.1), seed=seed)
        return [injector.decide().kind for _ in range(50)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_invalid_faults_are_refused(server: SandboxServer, register: RegisterSimulator) -> None:
    r = httpx.put(f"{register.base_url}/_sandbox/faults", json={"error_rate": 2})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
