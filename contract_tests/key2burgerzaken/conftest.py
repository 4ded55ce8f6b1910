"""The Key2Burgerzaken contracts: the view's columns and types, and the outbound event JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent
EVENT_SCHEMA = HERE / "event.schema.json"
VIEW_CONTRACT = HERE / "view-contract.yaml"


@pytest.fixture(scope="session")
def event_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EVENT_SCHEMA.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def view_contract() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(VIEW_CONTRACT.read_text(encoding="utf-8"))
    return data
