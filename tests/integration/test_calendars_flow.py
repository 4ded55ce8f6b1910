"""The calendars flow through a real Hub and store against the Graph and register simulators on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.outlook import GraphClient, OutlookSettings
from flows.calendars import FLOW, sync_busy_time
from flows.calendars.busy import BLOCK_SOURCE
from flows.calendars.placement import Placement, link_peer
from hub import operations
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor
from hub.model import Appointment, parse_event
from hub.registry import REGISTRY, FlowRegistry
from mappings.outlook import transaction_id
from sandbox.graph import GraphSimulator
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer
from tests.support.events import FAKE_BSN, cloudevent
from tests.support.flows import Clock

EMPLOYEE = "p.jansen@example.nl"
OTHER = "s.devries@example.nl"
ROOM = "spreekkamer3@example.nl"
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[SandboxServer, GraphSimulator, RegisterSimulator]]:
    graph, register = GraphSimulator(), RegisterSimulator()
    server = SandboxServer(graph, register).start()
    yield server, graph, register
    server.stop()


@pytest.fixture
def sims(sandbox: tuple[SandboxServer, GraphSimulator, RegisterSimulator]) -> tuple[GraphSimulator, RegisterSimulator]:
    _, graph, register = sandbox
    with graph.state.lock:
        graph.state.events.clear()
    graph.calls.clear()
    graph.batch_sizes.clear()
    graph.set_faults(fail_next=[], error_rate=0.0, throttle_rate=0.0)
    with register.state.lock:
        register.state.unavailability_blocks.clear()
    return graph, register


def _hub(settings: Settings, graph: GraphSimulator, register: RegisterSimulator, **outlook: Any) -> Hub:
    registry = FlowRegistry()
    registry.add(REGISTRY.get(FLOW))
    merged = settings.model_copy(update={
        "outlook": OutlookSettings(**graph.settings(**{"max_retries": 0, **outlook})),
        "register_api": settings.register_api.model_copy(update={
            "base_url": register.api_url, "token_url": register.token_url})})
    return Hub(merged, registry=registry, now=Clock(datetime(2027, 2, 20, 8, 0, tzinfo=UTC)), worker_name="t")


@pytest.fixture
def hub(settings: Settings, sims: tuple[GraphSimulator, RegisterSimulator]) -> Iterator[Hub]:
    h = _hub(settings, *sims)
    yield h
    h.close()


def deliver(hub: Hub, raw: dict[str, Any]) -> list[str]:
    """Accept one event and process its delivery until it is no longer open; the statuses seen."""
    [accepted] = hub.intake.accept([parse_event(raw)], "test")
    seen: list[str] = []
    for delivery_id in accepted.delivery_ids:
        for _ in range(6):
            outcome = DeliveryProcessor(hub).process(delivery_id)
            seen.append(outcome.status)
            if outcome.status not in ("failed", "busy", "not-claimed"):
                break
    return seen


def event(kind: str = "booked", version: int = 1, **data: Any) -> dict[str, Any]:
    data.setdefault("start", START)
    data.setdefault("employee", {"id": "EMP-001", "upn": EMPLOYEE, "name": "P. Jansen"})
    data.setdefault("room", {"id": "SPREEKKAMER-3", "mailbox": ROOM, "name": "Spreekkamer 3"})
    return cloudevent(kind, version=version, **data)


def posted(graph: GraphSimulator) -> list[Any]:
    """Every event body the hub sent (direct or inside $batch)."""
    bodies: list[Any] = []
    for call in graph.calls.find("POST"):
        if call.path.endswith("/$batch"):
            bodies += [r.get("body") for r in call.body["requests"] if r.get("body")]
        elif call.path.endswith("/events"):
            bodies.append(call.body)
    return bodies


def test_booking_places_employee_and_room_event_in_one_batch(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    assert deliver(hub, event()) == ["succeeded"]
    [emp], [room] = graph.events(EMPLOYEE), graph.events(ROOM)
    assert emp.start == START and room.end == START + timedelta(minutes=15)
    graph_calls = [c for c in graph.calls.all() if "/v1.0/" in c.path]
    assert [c.path for c in graph_calls] == ["/v1.0/$batch"]  # two creates, one HTTP call
    assert Placement.of(hub.links.get("A-1001", link_peer("room"))).event_id == room.id


def test_payloads_room_has_no_customer_data_employee_no_bsn(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    deliver(hub, event())
    bodies = posted(graph)
    room = next(b for b in bodies if b["sensitivity"] == "normal")
    employee = next(b for b in bodies if b["sensitivity"] == "private")
    room_text = str(room)
    for personal in ("Jan van Dijk", "Dijk", FAKE_BSN, "jan@example.nl", "0612345678", "1980"):
        assert personal not in room_text
    assert "P. Jansen" in room["subject"]
    assert FAKE_BSN not in str(employee) and "jan@example.nl" not in str(employee)
    assert "Jan van Dijk" in employee["body"]["content"]
    assert employee["transactionId"].startswith("afsprakenhub-")


def test_duplicate_and_unchanged_deliveries_make_no_calls(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    deliver(hub, event())
    before = len(graph.calls)
    deliver(hub, event())  # same CloudEvent again: a duplicate, nothing stored
    deliver(hub, event("checked_in", version=2, event_id="A-1001-checkin"))  # same calendar content
    assert len(graph.calls) == before
    assert len(graph.events(EMPLOYEE)) == 1


def test_out_of_order_older_snapshot_is_skipped(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    later = START + timedelta(hours=2)
    assert deliver(hub, event("rescheduled", version=2, start=later)) == ["succeeded"]
    assert deliver(hub, event("booked", version=1)) == ["skipped"]
    [emp] = graph.events(EMPLOYEE)
    assert emp.start == later


def test_reschedule_updates_in_place(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    deliver(hub, event())
    [before] = graph.events(EMPLOYEE)
    deliver(hub, event("rescheduled", version=2, start=START + timedelta(days=1)))
    [after] = graph.events(EMPLOYEE)
    assert after.id == before.id and after.start == START + timedelta(days=1)
    assert graph.batch_sizes == [2, 2]  # booked: two creates; rescheduled: two updates, one call each


def test_reassignment_moves_the_event(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    deliver(hub, event())
    deliver(hub, event("rescheduled", version=2, employee={"id": "EMP-002", "upn": OTHER, "name": "S. de Vries"}))
    assert graph.events(EMPLOYEE) == [] and len(graph.events(OTHER)) == 1
    assert len(graph.events(ROOM)) == 1 and "S. de Vries" in graph.events(ROOM)[0].body["subject"]


def test_cancellation_removes_both_events(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    deliver(hub, event())
    assert deliver(hub, event("cancelled", version=2)) == ["succeeded"]
    assert graph.events(EMPLOYEE) == [] and graph.events(ROOM) == []


def test_cancel_mode_mark_keeps_the_events_marked(settings: Settings, sims: tuple[GraphSimulator, Any]) -> None:
    graph, register = sims
    h = _hub(settings, graph, register, cancel_mode="mark")
    try:
        deliver(h, event())
        deliver(h, event("no_show", version=2))
        [emp] = graph.events(EMPLOYEE)
        assert emp.body["subject"].startswith("Niet verschenen") and emp.show_as == "free"
    finally:
        h.close()


def test_completed_leaves_the_calendars(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    deliver(hub, event())
    before = len(graph.calls)
    deliver(hub, event("completed", version=5))
    assert len(graph.calls) == before and len(graph.events(ROOM)) == 1


def test_duplicate_create_after_a_timeout_yields_one_event(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    appointment = Appointment.model_validate(event()["data"])
    # An earlier attempt reached Graph, but its answer was lost: the hub recorded nothing.
    from flows.calendars.forward import options_of
    from mappings.outlook import employee_event

    draft = employee_event(appointment, options_of(hub.settings.outlook), transaction_id("A-1001", "employee",
                                                                                          EMPLOYEE, 0))
    with GraphClient.from_settings(hub.settings.outlook) as client:
        first = client.create_event(EMPLOYEE, draft)
    assert deliver(hub, event()) == ["succeeded"]
    [only] = graph.events(EMPLOYEE)
    assert only.id == first.id


def test_transient_failure_is_retried_then_succeeds(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    graph.set_faults(fail_next=[503])
    assert deliver(hub, event()) == ["failed", "succeeded"]
    assert len(graph.events(EMPLOYEE)) == 1 and len(graph.events(ROOM)) == 1


def test_throttled_batch_items_are_sent_again(settings: Settings, sims: tuple[GraphSimulator, Any]) -> None:
    graph, register = sims
    h = _hub(settings, graph, register, max_retries=2)
    try:
        graph.throttle_batch_items(1, retry_after_s=0)
        assert deliver(h, event()) == ["succeeded"]
        assert graph.batch_sizes[-2:] == [2, 1] and len(graph.events(ROOM)) == 1
    finally:
        h.close()


def test_permanent_failure_is_dead_lettered_naming_outlook(hub: Hub, sims: tuple[GraphSimulator, Any]) -> None:
    graph, _ = sims
    assert deliver(hub, event(employee={"id": "EMP-X", "upn": "unknown@example.nl"}, room=None)) == ["dead"]
    assert graph.hub_events() == []
    [dead] = operations.list_deliveries(hub, status_="dead")
    assert dead.lastError is not None and dead.lastError.startswith("outlook create_event failed: 404 ErrorInvalidUser")
    assert "@" not in dead.lastError


# -- reverse sync ------------------------------------------------------------------------------

def _blocks(register: RegisterSimulator) -> dict[str, tuple[datetime, datetime]]:
    with register.state.lock:
        return {b.id: (b.start, b.end) for b in register.state.unavailability_blocks.values()
                if b.source == BLOCK_SOURCE}


def test_reverse_sync_diff_create_update_delete_and_no_echo(settings: Settings,
                                                           sims: tuple[GraphSimulator, RegisterSimulator]) -> None:
    graph, register = sims
    h = _hub(settings, graph, register, bookable_employees={"EMP-001": EMPLOYEE, "EMP-002": OTHER})
    try:
        deliver(h, event())  # the hub's own event in EMP-001's calendar: never a block
        t = datetime(2027, 2, 22, 10, 0, tzinfo=UTC)
        meeting = graph.add_event(EMPLOYEE, t, t + timedelta(hours=1))
        leave = graph.add_event(OTHER, t, t + timedelta(days=1), show_as="oof")
        graph.add_event(OTHER, t, t + timedelta(hours=1), show_as="free")
        first = sync_busy_time(h, days=14)
        assert (first.counts["created"], first.counts["updated"], first.counts["deleted"]) == (2, 0, 0)
        assert sorted(_blocks(register).values()) == sorted([(t, t + timedelta(hours=1)),
                                                             (t, t + timedelta(days=1))])
        graph.move_event(meeting.id, t + timedelta(hours=3), t + timedelta(hours=4))
        graph.remove_event(leave.id)
        second = sync_busy_time(h, days=14)
        assert (second.counts["created"], second.counts["updated"], second.counts["deleted"]) == (0, 1, 1)
        assert list(_blocks(register).values()) == [(t + timedelta(hours=3), t + timedelta(hours=4))]
        assert sync_busy_time(h, days=14).counts["unchanged"] == 1
    finally:
        h.close()


def test_reverse_sync_dry_run_writes_nothing(settings: Settings,
                                            sims: tuple[GraphSimulator, RegisterSimulator]) -> None:
    graph, register = sims
    h = _hub(settings, graph, register, bookable_employees={"EMP-001": EMPLOYEE})
    try:
        t = datetime(2027, 2, 22, 10, 0, tzinfo=UTC)
        graph.add_event(EMPLOYEE, t, t + timedelta(hours=1))
        assert sync_busy_time(h, dry_run=True).counts["created"] == 1
        assert _blocks(register) == {}
    finally:
        h.close()


def test_reverse_sync_reads_45_calendars_in_3_calls(settings: Settings,
                                                    sims: tuple[GraphSimulator, RegisterSimulator]) -> None:
    graph, register = sims
    people = {f"EMP-{i:03d}": f"medewerker{i}@example.nl" for i in range(45)}
    with graph.state.lock:
        graph.state.mailboxes.update({m: "user" for m in people.values()})
    h = _hub(settings, graph, register, bookable_employees=people)
    try:
        sync_busy_time(h, days=7)
        assert len(graph.calls.find("POST", "/v1.0/$batch")) == 3
        assert graph.batch_sizes[-3:] == [20, 20, 5]
    finally:
        h.close()
