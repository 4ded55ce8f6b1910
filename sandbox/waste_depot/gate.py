"""A sandbox gate terminal: scans QR codes at the hub on a simulated clock (the demo's day lies a week ahead).

It runs the hub's own access check in process against the demo's store, with a Hub whose clock the gate
sets, so "before", "inside" and "after the window" are the same scans on every run. A real gate posts the
same body to `POST /api/v1/waste-depot/access-checks` with its gate token (runbooks/waste-depot.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flows.waste_depot.gate import AccessAnswer, AccessCheck, check_access
from hub.bootstrap import Hub


class SimulatedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.at


class SandboxGate:
    """Scans at a gate; `scan(at, …)` sets the clock first. The deliveries it records go to `runtime`."""

    def __init__(self, hub: Hub) -> None:
        self.clock = SimulatedClock(datetime.now(UTC))
        self.main = hub
        self.hub = Hub(hub.settings, registry=hub.registry, now=self.clock, worker_name="sandbox-gate")
        self.hub.__dict__["runtime"] = hub.runtime  # visits are queued where the demo's workers listen

    def scan(self, at: datetime, qr_code: str, gate_id: str, pass_number: str | None) -> AccessAnswer:
        self.clock.at = at.astimezone(UTC)
        return check_access(self.hub, AccessCheck(qr_code=qr_code, gate_id=gate_id, pass_number=pass_number))

    def close(self) -> None:
        self.hub.__dict__.pop("runtime", None)
        self.hub.peers.close()
        self.hub.db.dispose()
