"""Fixtures shared by the integration tests: the CLI against the test's store with one recording flow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.config import Settings, get_settings
from hub.registry import REGISTRY, FlowSpec
from tests.support.flows import Recorder


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> Iterator[Settings]:
    """Settings the CLI reads from the environment, with only the `recorder` flow registered."""
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AFSPRAKENHUB_FLOW_MODULES", "[]")
    monkeypatch.setenv("AFSPRAKENHUB_LOG_LEVEL", "WARNING")
    saved = dict(REGISTRY.flows)
    REGISTRY.flows.clear()
    REGISTRY.add(FlowSpec("recorder", ("nl.tilburg.afspraken.appointment.*",), recorder.handler, "test"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    REGISTRY.flows.clear()
    REGISTRY.flows.update(saved)
