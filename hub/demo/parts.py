"""What a flow adds to `afsprakenhub demo`: its simulators, its settings, its part of the day, its check.

Each peer's `sandbox/<peer>/demo.py` defines a `DemoPart` subclass and registers it with
`@demo_part`; the demo imports every `sandbox.*.demo` module and runs all registered parts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.demo.day import DayPlan
    from sandbox.framework import Simulator
    from sandbox.register.simulator import RegisterSimulator
    from sandbox.server import SandboxServer


@dataclass(frozen=True)
class DemoRow:
    """One row of the demo's table: what the part expected in its peer, what it found, dead deliveries."""

    name: str
    expected: int
    observed: int
    dead: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.observed and self.dead == 0


@dataclass
class DemoContext:
    """Everything a part needs while the demo runs (all in this process)."""

    hub: Hub
    sandbox: SandboxServer
    register: RegisterSimulator
    day: DayPlan
    rng: random.Random
    workdir: Path
    hub_url: str
    hub_token: str
    settle: Callable[[], None]
    extra: dict[str, Any] = field(default_factory=dict)

    def run_job(self, name: str) -> Any:
        """Run a scheduled job once, as `afsprakenhub sync NAME` would."""
        from hub.scheduler import run_job

        return run_job(self.hub, name, actor="demo")


class DemoPart:
    """Override what the part needs; every hook has a harmless default."""

    #: Row name in the demo's table, usually the flow name.
    name: str = "part"

    def simulators(self, seed: int) -> list[Simulator]:
        """Simulators to mount in the sandbox server (each at its own path prefix)."""
        return []

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        """Hub settings that point this flow at the started simulators (merged into the hub's settings)."""
        return {}

    def before_day(self, ctx: DemoContext) -> None:
        """Seed the peers before the register's day starts (e.g. existing accounts, a roster)."""

    def after_day(self, ctx: DemoContext) -> None:
        """Act after the day's register events have settled (close zaken, run sync jobs, …)."""

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        """Compare what the peers hold with what this part expects."""
        return []


#: The registered parts, in registration order.
DEMO_PARTS: list[type[DemoPart]] = []


def demo_part(cls: type[DemoPart]) -> type[DemoPart]:
    """Class decorator: add a part to the demo."""
    if cls not in DEMO_PARTS:
        DEMO_PARTS.append(cls)
    return cls


def dead_deliveries(hub: Hub, flow: str) -> int:
    """How many deliveries of `flow` are dead (for a part's row)."""
    from hub.operations import status

    return int(status(hub)["deliveries"].get(flow, {}).get("dead", 0))
