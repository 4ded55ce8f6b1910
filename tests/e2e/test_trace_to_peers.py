"""An incoming `traceparent` reaches every peer call of that event: read from the simulators' own call logs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.demo.runner import DemoStack
from hub.store.tables import AuditRecord, Delivery, InboxEvent
from sandbox.calllog import Call
from tests.support.events import FAKE_BSN, cloudevent

TRACE = "5c3e0f2a9b8d4e1f8a7b6c5d4e3f2a1b"
TRACEPARENT = f"00-{TRACE}-1a2b3c4d5e6f7081-01"


def _header(call: Call, name: str) -> str | None:
    return next((v for k, v in call.headers.items() if k.lower() == name), None)


@pytest.mark.slow
def test_incoming_traceparent_reaches_every_peer_call_of_the_event(tmp_path: Path) -> None:
    with DemoStack(count=1, workdir=tmp_path / "demo", timeout=60) as stack:
        stack.before_day()
        for sim in stack.sandbox.simulators.values():
            sim.calls.clear()
        event = cloudevent(event_id="trace-e2e-1", appointment_id="A-TRACE-1", source="urn:test:tip")
        answer = httpx.post(f"{stack.hub_url}/api/v1/events", json=event, timeout=10,
                            headers={"Authorization": f"Bearer {stack.token}", "traceparent": TRACEPARENT,
                                     "Content-Type": "application/cloudevents+json"})
        assert answer.status_code == 202, answer.text
        stack.settle()
        calls = {sim.name: [c for c in sim.calls.all() if _header(c, "x-correlation-id") == "trace-e2e-1"]
                 for sim in stack.sandbox.simulators.values()}
        with stack.hub.db.reading() as db:
            flows = set(db.scalars(select(Delivery.flow).join(InboxEvent, InboxEvent.id == Delivery.inbox_id)
                                   .where(InboxEvent.event_id == "trace-e2e-1")))
            records = [r for r in db.scalars(select(AuditRecord).where(AuditRecord.trace_id == TRACE))
                       if r.actor.startswith("flow:")]
            cipher = stack.hub.audit.cipher
            # LDV records complete for each flow: one per delivery, with its activity, status and the customer.
            by_flow = {r.flow: r for r in records if r.name and r.name.endswith(event["type"])}
            assert set(by_flow) == flows and len(flows) >= 3, (flows, set(by_flow))
            for flow, record in by_flow.items():
                assert record.status in ("Ok", "Unset") and record.span_id and record.parent_span_id, flow
                assert record.processing_activity_id == f"urn:afsprakenhub:processing-activity:{flow}"
                assert record.data_subject_id_type == "BSN" and record.data_subject_id is not None
                assert cipher.decrypt(record.data_subject_id, "BSN") == FAKE_BSN
                assert record.foreign_span_id == "1a2b3c4d5e6f7081"
    reached = {name for name, found in calls.items() if found}
    # Salesforce, Open Klant and Graph (httpx): the contact moment and the calendars.
    assert {"salesforce", "klantinteracties", "graph"} <= reached, reached
    for name, found in calls.items():
        for call in found:
            traceparent = _header(call, "traceparent")
            assert traceparent is not None, (name, call.method, call.path)
            version, trace_id, span_id, _flags = traceparent.split("-")
            assert (version, trace_id) == ("00", TRACE), (name, call.path)
            assert span_id != "1a2b3c4d5e6f7081"  # each call is a span of the hub's, child of TIP's
