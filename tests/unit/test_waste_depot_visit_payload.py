"""The visit event's payload built without the model is the model's own dump, whatever the ids and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.waste_depot import gate
from flows.waste_depot.visit import EVENT_TYPE, VisitData, visit_event, visit_payload
from hub.model import CloudEvent
from hub.registry import FlowRegistry, FlowSpec

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-3, minutes=-30)),
                          timezone(timedelta(hours=14))])
_TIMES = st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(min_value=datetime(1970, 1, 2),
                                                                   max_value=datetime(9999, 12, 30)), _ZONES)


def _model(appointment_id: str, gate_id: str, at: datetime) -> dict[str, Any]:
    return visit_event(VisitData(appointment_id=appointment_id, gate_id=gate_id, allowed_at=at)).model_dump(
        mode="json")


@given(appointment_id=st.text(min_size=1, max_size=450), gate_id=st.text(min_size=1, max_size=100), at=_TIMES)
def test_the_plain_payload_is_the_models_dump(appointment_id: str, gate_id: str, at: datetime) -> None:
    try:
        expected = _model(appointment_id, gate_id, at)
    except ValueError:  # the model refuses it (a NUL, an id too long): so must the payload
        with pytest.raises(ValueError):
            visit_payload(appointment_id, gate_id, at)
        return
    assert visit_payload(appointment_id, gate_id, at) == expected


def test_microseconds_offsets_and_the_bounds() -> None:
    at = datetime(2027, 3, 28, 1, 59, 59, 999999, tzinfo=UTC)
    for args in (("WD-1", "gate-1", at), ("WD-1", "gate-1", at.replace(microsecond=0)),
                 ("x" * 400, "g", at.astimezone(timezone(timedelta(hours=2)))), ("x" * 401, "g", at)):
        assert visit_payload(*args) == _model(*args)
    assert CloudEvent.model_validate(visit_payload("WD-1", "gate-1", at)).type == EVENT_TYPE
    with pytest.raises(ValueError):
        visit_payload("x" * 500, "g", at)  # `visit:` + 500 characters: longer than a CloudEvent id may be


class _Hub:
    """What `visit_delivery` asks of a hub: its registry and clock."""

    def __init__(self, registry: FlowRegistry) -> None:
        self.registry = registry

    def now(self) -> datetime:
        return datetime(2027, 1, 4, tzinfo=UTC)


def _hub_with(*specs: FlowSpec) -> Any:
    registry = FlowRegistry()
    for spec in specs:
        registry.add(spec)
    return _Hub(registry)


def _spec(name: str, wants: Any = None) -> FlowSpec:
    return FlowSpec(name=name, handler=lambda e, c: None, consumes=(EVENT_TYPE,), purpose="test", wants=wants)


def test_the_flows_are_taken_once_unless_a_flow_decides_per_event() -> None:
    plain = _hub_with(_spec("a"), _spec("b"))
    assert gate.visit_delivery(plain, "WD-1", "gate-1", datetime(2027, 1, 4, 9, tzinfo=UTC)).flows == ("a", "b")
    seen: list[str] = []

    def wants(event: CloudEvent, hub: Any) -> bool:
        seen.append(event.subject or "")
        return event.subject == "WD-2"

    choosy = _hub_with(_spec("a"), _spec("c", wants))
    at = datetime(2027, 1, 4, 9, tzinfo=UTC)
    assert gate.visit_delivery(choosy, "WD-1", "gate-1", at).flows == ("a",)
    delivery = gate.visit_delivery(choosy, "WD-2", "gate-1", at)
    assert delivery.flows == ("a", "c") and seen == ["WD-1", "WD-2"]
    assert delivery.inbox["payload"] == _model("WD-2", "gate-1", at)
