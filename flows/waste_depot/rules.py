"""The gate's decision as a pure function of what the store holds and the time of the scan (its data types live
in hub/store/waste_depot_types.py, re-exported here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.store.waste_depot_types import Booking, Decision, Pass, Reason, Rules, Visit

__all__ = ["CANCELLED", "VISITED", "Booking", "Decision", "Pass", "Reason", "Rules", "Visit", "decide", "deny",
           "window"]

#: Statuses in which the appointment can no longer be visited.
CANCELLED = frozenset({"cancelled", "closed"})
#: Statuses that mean the visit happened (here or elsewhere, e.g. checked in at a kiosk).
VISITED = frozenset({"checked_in", "called", "started", "completed"})


def window(booking: Booking, rules: Rules) -> tuple[datetime, datetime]:
    """(opens, closes) in UTC: arithmetic on local wall-clock times would be off by an hour on DST days."""
    return booking.start.astimezone(UTC) - rules.margin, booking.end.astimezone(UTC) + rules.margin


def deny(reason: Reason, booking: Booking | None = None, rules: Rules | None = None) -> Decision:
    if booking is None or rules is None:
        return Decision(False, reason)
    opens, closes = window(booking, rules)
    return Decision(False, reason, opens_at=opens, closes_at=closes)


def decide(*, now: datetime, gate_id: str, gate_location: str | None, booking: Booking | None,
           visit: Visit | None, pass_: Pass | None, rules: Rules) -> Decision:
    """Allow or deny one scan. The window is absolute time (start - margin ... end + margin), so a DST change
    between them makes it neither shorter nor longer; a retry by the same gate within `retry_window` of the
    allowed scan gets the same allow and records nothing new."""
    if gate_location is None:
        return deny("unknown-gate")
    if booking is None:
        return deny("unknown-code")
    if booking.location_id != gate_location:
        return deny("wrong-location", booking, rules)
    if visit is not None:
        if visit.gate_id == gate_id and timedelta(0) <= now - visit.allowed_at <= rules.retry_window:
            return Decision(True, "ok", visits_left=visit.visits_left)
        return deny("already-used", booking, rules)
    if booking.status in CANCELLED:
        return deny("cancelled", booking, rules)
    if booking.status in VISITED:
        return deny("already-used", booking, rules)
    opens, closes = window(booking, rules)
    if now < opens:
        return deny("too-early", booking, rules)
    if now > closes:
        return deny("too-late", booking, rules)
    if pass_ is None:
        return deny("pass-unknown", booking, rules)
    if pass_.status != "valid":
        return deny("pass-void", booking, rules)
    left = rules.free_visits - pass_.used
    if left <= 0:
        return Decision(False, "pass-no-credit", visits_left=0)
    return Decision(True, "ok", visits_left=left - 1, new_visit=True)
