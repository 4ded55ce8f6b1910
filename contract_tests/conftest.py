"""Contract-test options: offline by default; `--live` adds read-only checks against real sandboxes."""

from __future__ import annotations

import pytest

LIVE_REASON = "live check: run with --live (and the peer's sandbox credentials in the environment)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", default=False,
                     help="also run read-only contract checks against real peer sandboxes")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: read-only check against a real peer sandbox (needs --live)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live"):
        return
    skip = pytest.mark.skip(reason=LIVE_REASON)
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
