"""Fixtures of the Qmatic contract tests: the contract, the fixture files and a recording adapter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.qmatic.adapter import QmaticRegister
from connectors.qmatic.client import QmaticClient
from connectors.qmatic.settings import QmaticSettings
from contract_tests.jcc_rest.conftest import Recorder
from contract_tests.openapi_check import OpenApiContract

SPEC = Path(__file__).with_name("qmatic-calendar-subset.yaml")
FIXTURES = Path(__file__).with_name("fixtures")
#: A Qmatic-like API root (above `v1/` and `v2/`).
BASE_URL = "https://qmatic.example.nl/calendar-backend/public/api"


def fixture(name: str) -> Any:
    """One of the fixture files (written from Qmatic's public shapes), parsed."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def recording_register(settings: QmaticSettings) -> tuple[QmaticRegister, Recorder, httpx.Client]:
    """The qmatic adapter over an httpx client whose exchanges are recorded (no in-process retries)."""
    recorder = Recorder()
    http = httpx.Client(timeout=settings.timeout_seconds, event_hooks={"response": [recorder]})
    client = QmaticClient(settings.model_copy(update={"max_retries": 0}), http=http)
    return QmaticRegister(settings, client), recorder, http


@pytest.fixture
def contract() -> OpenApiContract:
    return OpenApiContract.load(SPEC, BASE_URL)


@pytest.fixture
def recorded() -> Iterator[tuple[QmaticRegister, Recorder]]:
    register, recorder, http = recording_register(QmaticSettings(base_url=BASE_URL))
    with http:
        yield register, recorder
