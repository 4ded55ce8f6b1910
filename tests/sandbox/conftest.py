"""Fixtures: a loopback server with the register simulator and a small hub that receives events."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_testkit import HUB_TOKEN, FakeClock, HubReceiver

from sandbox.register import EventEmitter, RegisterSimulator
from sandbox.server import SandboxServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def register(clock: FakeClock) -> RegisterSimulator:
    return RegisterSimulator(seed=7, clock=clock, emitter=EventEmitter(seed=7, backoff_base=0.01, backoff_cap=0.05))


@pytest.fixture
def hub() -> HubReceiver:
    return HubReceiver()


@pytest.fixture
def server(register: RegisterSimulator, hub: HubReceiver) -> Iterator[SandboxServer]:
    with SandboxServer(register, hub) as s:
        yield s


@pytest.fixture
def token(server: SandboxServer, register: RegisterSimulator) -> str:
    r = httpx.post(register.token_url, data={"grant_type": "client_credentials", "client_id": "afsprakenhub",
                                             "client_secret": "sandbox-secret"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture
def api(register: RegisterSimulator, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=register.api_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:  # generous: a busy 2-core CI machine, not a timing check
        yield client


@pytest.fixture
def wired(server: SandboxServer, register: RegisterSimulator, hub: HubReceiver) -> RegisterSimulator:
    """The register posting its events to the receiving hub."""
    register.configure_hub(server.url("/hub"), HUB_TOKEN)
    return register
