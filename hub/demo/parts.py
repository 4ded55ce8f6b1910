"""What a flow adds to `afsprakenhub demo`: its simulators, its settings, its part of the day, its check.

Each peer's `sandbox/<peer>/demo.py` defines a `DemoPart` subclass and registers it with
`@demo_part`; the demo imports every `sandbox.*.demo` module and runs all registered parts.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from hub.ports.capabilities import Capability

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
    #: "not supported by register <vendor>: …" when the configured register cannot do what this row checks.
    unsupported: str | None = None

    @property
    def ok(self) -> bool:
        return self.unsupported is not None or (self.expected == self.observed and self.dead == 0)


@dataclass
class DemoContext:
    """Everything a part needs while the demo runs (all in this process)."""

    hub: Hub
    sandbox: SandboxServer
    #: The canonical register simulator: the source of the day's events (and the hub's register by default).
    register: RegisterSimulator
    day: DayPlan
    rng: random.Random
    workdir: Path
    hub_url: str
    hub_token: str
    settle: Callable[[], None]
    extra: dict[str, Any] = field(default_factory=dict)
    #: Runs of a job until one does not fail (>1 under chaos: the scheduler's next slot would run it again).
    job_attempts: int = 1

    def run_job(self, name: str) -> Any:
        """Run a scheduled job, as `afsprakenhub sync NAME` would; again while it fails, up to `job_attempts`."""
        from hub.scheduler import run_job

        for attempt in range(1, self.job_attempts + 1):
            try:
                result = run_job(self.hub, name, actor="demo")
            except Exception:
                if attempt == self.job_attempts:
                    raise
                continue
            if result.outcome != "failed" or attempt == self.job_attempts:
                return result
        raise AssertionError("unreachable")


class DemoPart:
    """Override what the part needs; every hook has a harmless default."""

    #: Row name in the demo's table, usually the flow name.
    name: str = "part"
    #: Row name → what its check needs of the hub's register (the flow's or job's declared needs). A register
    #: lacking them shows the row as unsupported; when the part's own row (named `name`) is, none of its hooks run.
    register_needs: ClassVar[Mapping[str, frozenset[Capability]]] = {}

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

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """This part's peers as they ended, comparable across two runs of the same seed (the chaos oracle):
        without generated ids or clock times, and with counts where a duplicate would show."""
        return {}


#: The running demo's folder for its simulators' files (`DemoStack` sets it to `<workdir>/tmp`).
SCRATCH: dict[str, Path] = {}


def scratch_dir(prefix: str) -> Path:
    """A new folder for a simulator's files: under the running demo's work dir, else a system temp folder."""
    root = SCRATCH.get("dir")
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


#: The registered parts, in registration order.
DEMO_PARTS: list[type[DemoPart]] = []


def demo_part(cls: type[DemoPart]) -> type[DemoPart]:
    """Class decorator: add a part to the demo."""
    if cls not in DEMO_PARTS:
        DEMO_PARTS.append(cls)
    return cls


def comparable(value: Any, drop: frozenset[str] = frozenset()) -> Any:
    """A JSON-like value without the `drop` keys at any level, dicts and lists in a stable order."""
    if isinstance(value, dict):
        return {str(k): comparable(v, drop) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
                if k not in drop}
    if isinstance(value, list | tuple | set | frozenset):
        items = [comparable(v, drop) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def counted(keys: Any) -> dict[str, int]:
    """How often each key occurs (a duplicate shows as 2)."""
    out: dict[str, int] = {}
    for key in keys:
        out[str(key)] = out.get(str(key), 0) + 1
    return dict(sorted(out.items()))


def dead_deliveries(hub: Hub, flow: str) -> int:
    """How many deliveries of `flow` are dead (for a part's row)."""
    from hub.operations import status

    return int(status(hub)["deliveries"].get(flow, {}).get("dead", 0))
