"""A flow's `wants` predicate decides at intake which events of its consumed types get a delivery."""

from __future__ import annotations

from typing import Any, cast

from hub.bootstrap import Hub
from hub.model import CloudEvent, parse_event
from hub.registry import FlowRegistry, FlowSpec
from tests.support.events import cloudevent


def _handler(event: Any, ctx: Any) -> None:
    return None


def test_wants_filters_the_fan_out_and_no_hub_means_every_accepted_type() -> None:
    registry = FlowRegistry()
    registry.add(FlowSpec("all", ("nl.*",), _handler, "every event"))
    registry.add(FlowSpec("picky", ("nl.*",), _handler, "only A-1",
                          wants=lambda e, hub: e.subject == "A-1"))
    hub = cast(Hub, object())
    one: CloudEvent = parse_event(cloudevent("booked", "A-1", 1))
    two: CloudEvent = parse_event(cloudevent("booked", "A-2", 1))
    assert one.type.startswith("nl.")
    assert [f.name for f in registry.for_event(one, hub)] == ["all", "picky"]
    assert [f.name for f in registry.for_event(two, hub)] == ["all"]
    assert [f.name for f in registry.for_event(two, None)] == ["all", "picky"]
