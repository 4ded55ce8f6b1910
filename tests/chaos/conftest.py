"""Every test in tests/chaos is a chaos test (`-m chaos` selects them, `-m "not chaos"` leaves them out).

The chaos day's figures are also printed in pytest's terminal summary, so a CI log shows them without `-s`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.chaos.harness import FIGURES

HERE = Path(__file__).parent


_LINE = ("{backend}: {appointments} appointments, {events} events, {duplicatesSent} sent twice, "
         "{peerCalls} peer calls, {faultsInjected} faults injected ({faultRate:.1%}), {retries} retries, "
         "worker killed ({leasedAtKill} leases held), dead letters planted {deadPlanted} / replayed "
         "{replayed}, lost {lost}, duplicates created {duplicatesCreated}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.chaos)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("chaos figures")
        for figures in FIGURES:
            terminalreporter.write_line(_LINE.format(**figures))
