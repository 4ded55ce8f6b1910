"""Every test in tests/chaos is a chaos test (`-m chaos` selects them, `-m "not chaos"` leaves them out).

The chaos day's figures and each infrastructure fault's recovery time are also printed in pytest's terminal
summary, so a CI log shows them without `-s`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.chaos.fault_rig import FAULT_FIGURES
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


_FAULT_LINE = ("{fault} ({backend}): recovered {recoverySeconds} s after the fault cleared; {acknowledged} events "
               "acknowledged, all processed once (sweep interval + grace + lease: {sweepBoundSeconds} s)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("chaos figures")
        for figures in FIGURES:
            terminalreporter.write_line(_LINE.format(**figures))
    if FAULT_FIGURES:
        terminalreporter.section("fault recovery")
        for figures in FAULT_FIGURES:
            terminalreporter.write_line(_FAULT_LINE.format(**figures))
