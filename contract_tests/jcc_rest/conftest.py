"""Fixtures of the JCC G-Plan REST contract tests: the contract, the fixture files and a recording adapter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.jcc_rest.adapter import JccRestRegister
from connectors.jcc_rest.client import JccRestClient
from connectors.jcc_rest.settings import JccRestSettings
from contract_tests.openapi_check import OpenApiContract

SPEC = Path(__file__).with_name("jcc-warp-v1-subset.yaml")
FIXTURES = Path(__file__).with_name("fixtures")
#: A JCC-like API root (JCC's own: https://<host>/<tenant>/G-Plan/api/api/warp/v1).
BASE_URL = "https://jcc.example.nl/Tilburg/G-Plan/api/api/warp/v1"


def fixture(name: str) -> Any:
    """One of the fixture files (written from JCC's public shapes), parsed."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


class Recorder:
    """Keeps every exchange of a client, to check them against the contract afterwards."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.exchanges.append((response.request, response))

    def check(self, contract: OpenApiContract) -> int:
        for request, response in self.exchanges:
            contract.check_exchange(request, response)
        return len(self.exchanges)


def recording_register(settings: JccRestSettings) -> tuple[JccRestRegister, Recorder, httpx.Client]:
    """The jcc-rest adapter over an httpx client whose exchanges are recorded (no in-process retries)."""
    recorder = Recorder()
    http = httpx.Client(timeout=settings.timeout_seconds, event_hooks={"response": [recorder]})
    client = JccRestClient(settings.model_copy(update={"max_retries": 0}), http=http)
    return JccRestRegister(settings, client), recorder, http


@pytest.fixture
def contract() -> OpenApiContract:
    return OpenApiContract.load(SPEC, BASE_URL)


@pytest.fixture
def recorded() -> Iterator[tuple[JccRestRegister, Recorder]]:
    register, recorder, http = recording_register(JccRestSettings(base_url=BASE_URL))
    with http:
        yield register, recorder
