"""The capability matrix at work: which flows and jobs the configured register cannot serve, and saying so.

Reported at `serve`/`worker`/`scheduler` start (a log line each, and on the console), in `status --json`
(`register`), by `contract-test` and on the operations console, always as
"not supported by register <vendor>: <capability>".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from hub.ports.capabilities import Capability, missing
from hub.ports.register_errors import unsupported_reason

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.registry import FlowSpec
    from hub.scheduler import JobSpec

log = structlog.get_logger("afsprakenhub.register")


@dataclass(frozen=True)
class Gap:
    """A flow or job that needs what the register lacks; `partial`: the job runs and skips that part only."""

    kind: str
    name: str
    missing: tuple[Capability, ...]
    reason: str
    partial: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "missing": [str(c) for c in self.missing],
                "reason": self.reason, "partial": self.partial}


def gaps(vendor: str, capabilities: frozenset[Capability], flows: Iterable[FlowSpec],
         jobs: Iterable[JobSpec]) -> list[Gap]:
    """Every flow and job whose declared needs the register lacks, flows first, by name."""
    found: list[Gap] = []
    for kind, name, needs, partial in (
        *(("flow", f.name, f.needs, False) for f in sorted(flows, key=lambda f: f.name)),
        *(("job", j.name, j.needs, False) for j in sorted(jobs, key=lambda j: j.name)),
        *(("job", j.name, j.uses, True) for j in sorted(jobs, key=lambda j: j.name)),
    ):
        lacking = missing(needs, capabilities)
        if lacking:
            found.append(Gap(kind, name, tuple(lacking), unsupported_reason(vendor, *lacking), partial))
    return found


def register_report(hub: Hub) -> dict[str, Any]:
    """`{"vendor", "capabilities": [...], "unsupported": [gap, …]}`; `error` instead when it cannot be built."""
    from hub.scheduler import JOBS

    vendor = hub.settings.register.vendor
    try:
        register = hub.peers.register
        capabilities, vendor = register.capabilities, register.vendor
    except ValueError as exc:  # an unknown vendor, or its settings section not valid
        return {"vendor": vendor, "error": str(exc), "capabilities": [], "unsupported": []}
    found = gaps(vendor, capabilities, hub.registry.flows.values(), JOBS.values())
    return {"vendor": vendor, "capabilities": [str(c) for c in Capability if c in capabilities],
            "unsupported": [g.as_json() for g in found]}


def report_lines(report: Mapping[str, Any]) -> list[str]:
    """The report as lines for a console (nothing when the register serves everything)."""
    if report.get("error"):
        return [f"register {report['vendor']}: {report['error']}"]
    return [f"{g['kind']} {g['name']}: {g['reason']}" + (" (that part is skipped)" if g["partial"] else "")
            for g in report["unsupported"]]


def announce(hub: Hub) -> list[str]:
    """Log one warning per gap (an operator can act on it) and return the lines to print at start."""
    report = register_report(hub)
    if report.get("error"):
        log.error("register.invalid", vendor=report["vendor"], reason=report["error"])
    for gap in report["unsupported"]:
        log.warning("register.unsupported", vendor=report["vendor"], kind=gap["kind"], name=gap["name"],
                    reason=gap["reason"], partial=gap["partial"])
    return report_lines(report)


__all__ = ["Gap", "announce", "gaps", "register_report", "report_lines"]
