"""A sandbox gate terminal: scans QR codes at the hub at simulated times (the demo's day lies a week ahead).

It runs the hub's own access check in process against the demo's store, giving the scan's time, so "before",
"inside" and "after the window" are the same scans on every run; the visit it records is delivered by the
demo's workers on the hub's own clock. A real gate posts the same body to
`POST /api/v1/waste-depot/access-checks` with its gate token and no time (runbooks/waste-depot.md).
"""

from __future__ import annotations

from datetime import datetime

from flows.waste_depot.gate import AccessAnswer, AccessCheck, check_access
from hub.bootstrap import Hub


class SandboxGate:
    """One gate terminal (or several: the gate id is per scan)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def scan(self, at: datetime, qr_code: str, gate_id: str, pass_number: str | None) -> AccessAnswer:
        return check_access(self.hub, AccessCheck(qr_code=qr_code, gate_id=gate_id, pass_number=pass_number), at)
