"""Prometheus metrics of the hub (served at /metrics)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import Counter, Histogram

EVENTS_RECEIVED = Counter("afsprakenhub_events_received_total", "Inbound events stored", ["endpoint"])
EVENTS_DUPLICATE = Counter("afsprakenhub_events_duplicate_total", "Inbound events already stored", ["endpoint"])
EVENTS_REJECTED = Counter("afsprakenhub_events_rejected_total", "Inbound requests rejected", ["reason"])
DELIVERIES_DONE = Counter("afsprakenhub_deliveries_finished_total", "Deliveries finished", ["flow", "status"])
FLOW_SECONDS = Histogram("afsprakenhub_flow_seconds", "Time in one flow handler call", ["flow"])
END_TO_END_SECONDS = Histogram(
    "afsprakenhub_processing_latency_seconds", "From intake to a delivery's success", ["flow"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
PEER_CALLS = Counter("afsprakenhub_peer_calls_total", "Calls to peer systems", ["connector", "outcome"])
EVENTS_SHED = Counter("afsprakenhub_events_shed_total", "Intake requests refused with 429 (backlog above its bound)")
DELIVERIES_WAITING = Counter("afsprakenhub_deliveries_waiting_total",
                             "Delivery runs that found their peer open or paused and waited (no attempt spent)",
                             ["peer"])

#: connector, answer headers → None; set by the composition root (the console's headroom store).
RateLimitListener = Callable[[str, Mapping[str, str]], None]
_rate_limit_listeners: dict[str, RateLimitListener] = {}


def on_rate_limit(name: str, listener: RateLimitListener) -> None:
    """Register (or replace, by `name`) who hears the rate-limit headers connectors report."""
    _rate_limit_listeners[name] = listener


def report_rate_limit(connector: str, headers: Mapping[str, str]) -> None:
    """A connector's hook: hand one answer's headers to every registered listener (none: nothing happens)."""
    for listener in list(_rate_limit_listeners.values()):
        listener(connector, headers)
