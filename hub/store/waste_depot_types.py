"""The waste-depot gate's data as the store returns it: bookings, visits, passes, rules and decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

Reason = Literal["ok", "unknown-code", "unknown-gate", "too-early", "too-late", "cancelled", "already-used",
                 "wrong-location", "pass-unknown", "pass-void", "pass-no-credit"]


@dataclass(frozen=True)
class Booking:
    appointment_id: str
    status: str
    start: datetime
    end: datetime
    location_id: str
    pass_key: str | None


@dataclass(frozen=True)
class Visit:
    gate_id: str
    allowed_at: datetime
    visits_left: int


@dataclass(frozen=True)
class Pass:
    status: str
    used: int  # visits this calendar year: from the pass list plus those the hub recorded


@dataclass(frozen=True)
class Rules:
    free_visits: int = 10
    margin: timedelta = timedelta(hours=1)
    retry_window: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: Reason
    visits_left: int | None = None
    new_visit: bool = False  # an allowed first scan: record the visit
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class Decide(Protocol):
    """The gate's decision (flows.waste_depot.rules.decide), which the group commit takes again on its rows."""

    def __call__(self, *, now: datetime, gate_id: str, gate_location: str | None, booking: Booking | None,
                 visit: Visit | None, pass_: Pass | None, rules: Rules) -> Decision: ...
