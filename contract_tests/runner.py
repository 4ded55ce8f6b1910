"""Run the contract tests programmatically and collect one result per check.

A system is a subfolder of contract_tests/ holding `test_*.py` files (e.g. `register`).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

ROOT = Path(__file__).resolve().parent
Result = Literal["passed", "failed", "skipped", "error"]
_MAX_DETAIL = 300


@dataclass(frozen=True)
class Check:
    system: str
    check: str
    result: Result
    detail: str = ""


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and all(c.result in ("passed", "skipped") for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def systems() -> list[str]:
    """Every subfolder of contract_tests/ with tests, sorted."""
    return sorted(p.name for p in ROOT.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")) and any(p.glob("test_*.py")))


def _system_and_check(nodeid: str) -> tuple[str, str]:
    path, _, name = nodeid.partition("::")
    parts = Path(path).parts
    system = parts[parts.index("contract_tests") + 1] if "contract_tests" in parts[:-1] else parts[0]
    return system, f"{Path(path).stem}::{name}" if name else Path(path).name


def _detail(report: pytest.CollectReport | pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return " ".join(text.split())[:_MAX_DETAIL]


class Collector:
    """pytest plugin: one Check per test (setup/teardown failures count as `error`)."""

    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        system, check = _system_and_check(report.nodeid)
        previous = self.checks.get(report.nodeid)
        if report.failed:
            result: Result = "failed" if report.when == "call" else "error"
        elif report.skipped:
            result = "skipped"
        elif report.when == "call":
            result = "passed"
        else:
            return
        if previous is not None and previous.result in ("failed", "error"):
            return  # keep the first failure (e.g. a call failure over a teardown error)
        self.checks[report.nodeid] = Check(system, check, result, "" if result == "passed" else _detail(report))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            system, check = _system_and_check(report.nodeid or "contract_tests")
            self.checks[report.nodeid] = Check(system, f"collect {check}", "error", _detail(report))


def capability_checks() -> list[Check]:
    """One `skipped` check per flow or job the configured register cannot serve ("not supported by register …")."""
    from hub.config import get_settings
    from hub.register_matrix import gaps
    from hub.registry import REGISTRY, load_flow_modules
    from hub.scheduler import JOBS

    settings = get_settings()
    try:
        from hub.ports.register_vendors import build_register

        register = build_register(settings)
    except ValueError as exc:  # an unknown vendor or an invalid settings section
        return [Check("register", "capabilities", "error", str(exc)[:_MAX_DETAIL])]
    try:
        load_flow_modules(settings.flow_modules)
        found = gaps(register.vendor, register.capabilities, REGISTRY.flows.values(), JOBS.values())
    finally:
        register.close()
    return [Check("register", f"capabilities {g.kind} {g.name}", "skipped",
                  g.reason + (" (that part is skipped)" if g.partial else "")) for g in found]


def run(system: str | None = None, *, live: bool = False, extra_args: list[str] | None = None) -> Report:
    """Run the contract tests of `system` (or of every system); pytest's own output is swallowed."""
    names = systems()
    if system is not None and system not in names:
        raise ValueError(f"unknown system {system!r}; known: {', '.join(names) or '(none)'}")
    paths = [str(ROOT / name) for name in ([system] if system else names)]
    args = [*paths, "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT.parent), *(extra_args or [])]
    if live:
        args.append("--live")
    collector = Collector()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        exit_code = int(pytest.main(args, plugins=[collector]))
    report = Report(list(collector.checks.values()), exit_code)
    if system in (None, "register"):
        report.checks.extend(capability_checks())
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not any(
            c.result in ("failed", "error") for c in report.checks):
        tail = " ".join(output.getvalue().split())[-_MAX_DETAIL:]
        report.checks.append(Check(system or "*", "pytest", "error", f"exit code {exit_code}: {tail}"))
    return report
