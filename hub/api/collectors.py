"""Prometheus gauges read from the store at scrape time (true across all worker processes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from hub.bootstrap import Hub


class DeliveryStateCollector(Collector):
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        from hub.operations import status

        snapshot = status(self.hub)
        deliveries = GaugeMetricFamily("afsprakenhub_deliveries", "Deliveries by flow and state",
                                       labels=["flow", "status"])
        for flow, states in snapshot["deliveries"].items():
            for state, count in states.items():
                deliveries.add_metric([flow, state], count)
        yield deliveries
        inbox = GaugeMetricFamily("afsprakenhub_inbox_events", "Inbox events by state", labels=["state"])
        for state, count in snapshot["inbox"].items():
            inbox.add_metric([state], count)
        yield inbox
        unrouted = GaugeMetricFamily("afsprakenhub_events_unrouted", "Accepted events no flow consumes, by type "
                                     "(add a route: AFSPRAKENHUB_EVENT_ROUTES)", labels=["type"])
        for event_type, count in snapshot["unrouted"].items():
            unrouted.add_metric([event_type], count)
        yield unrouted
        breakers = GaugeMetricFamily("afsprakenhub_peer_breaker_state", "Circuit breaker per peer: 1 for its current "
                                     "state (closed, open, half_open, paused)", labels=["peer", "state"])
        for peer in snapshot["peers"]:
            for state in ("closed", "open", "half_open", "paused"):
                breakers.add_metric([peer["peer"], state], 1 if peer["state"] == state else 0)
        yield breakers


def delivery_state_collector(hub: Hub) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeliveryStateCollector(hub))
    return registry
