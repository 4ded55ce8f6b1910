"""Prometheus metrics of the roster flow (served with the hub's own at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CAPACITY_CONFLICTS = Gauge("afsprakenhub_roster_capacity_conflicts",
                           "Staffing blocks where booked appointments exceed the roster's capacity (outstanding)")
BLOCKS_PUSHED = Counter("afsprakenhub_roster_blocks_pushed_total", "Staffing blocks sent to the register",
                        ["action"])
ROWS_REFUSED = Counter("afsprakenhub_roster_rows_refused_total",
                       "Roster rows not pushed: malformed or with unmapped codes", ["kind"])

__all__ = ["BLOCKS_PUSHED", "CAPACITY_CONFLICTS", "ROWS_REFUSED"]
