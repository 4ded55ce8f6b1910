"""W3C Trace Context from the webhook through the store and the queue into the delivery's span (issue 31)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub import tracing
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.store.tables import InboxEvent
from tests.conftest import AUTH
from tests.support.events import FAKE_BSN, cloudevent
from tests.support.spans import Spans, collecting, hex_ids, parent_id

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{CALLER_SPAN}-01"
EXT_TRACE = "0af7651916cd43dd8448eb211c80319c"
EXT_TRACEPARENT = f"00-{EXT_TRACE}-b9c7c989f97918e1-01"
CE = {**AUTH, "Content-Type": "application/cloudevents+json"}


@pytest.fixture(name="spans")
def spans_fixture() -> Iterator[Spans]:
    yield from collecting()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as c:
        yield c


def drain(hub: Hub) -> None:
    """Run the queued deliveries through the stub broker's worker (so the queue message is used)."""
    hub.runtime.start_worker(1)
    assert hub.runtime.join(30)


def stored(hub: Hub, event_id: str) -> InboxEvent:
    with hub.db.reading() as s:
        row = s.scalars(select(InboxEvent).where(InboxEvent.event_id == event_id)).one()
        s.expunge(row)
        return row


def test_header_traceparent_reaches_the_store_and_the_delivery(client: TestClient, hub: Hub, spans: Spans) -> None:
    answer = client.post("/api/v1/events", json=cloudevent(event_id="e-1"),
                         headers={**CE, "traceparent": TRACEPARENT, "tracestate": "congo=t61rcWkgMzE"})
    assert answer.status_code == 202
    row = stored(hub, "e-1")
    [intake] = spans.named("intake")
    assert hex_ids(intake)[0] == TRACE and parent_id(intake) == CALLER_SPAN
    assert row.traceparent == f"00-{TRACE}-{hex_ids(intake)[1]}-01"
    assert row.caller_traceparent == TRACEPARENT and row.tracestate == "congo=t61rcWkgMzE"
    drain(hub)
    [deliver] = spans.named("deliver recorder")
    assert hex_ids(deliver)[0] == TRACE
    assert parent_id(deliver) == hex_ids(intake)[1]  # through the store: the inbox row's trace context
    assert deliver.attributes is not None and deliver.attributes["afsprakenhub.flow"] == "recorder"


def test_cloudevents_extension_starts_the_trace_when_no_header_came(client: TestClient, hub: Hub,
                                                                    spans: Spans) -> None:
    event = {**cloudevent(event_id="e-2"), "traceparent": EXT_TRACEPARENT}
    assert client.post("/api/v1/events", json=event, headers=CE).status_code == 202
    assert stored(hub, "e-2").traceparent.split("-")[1] == EXT_TRACE  # type: ignore[union-attr]
    drain(hub)
    assert hex_ids(spans.named("deliver recorder")[0])[0] == EXT_TRACE


def test_binary_mode_header_is_the_parent_and_ce_traceparent_a_link(client: TestClient, hub: Hub,
                                                                    spans: Spans) -> None:
    """CloudEvents' distributed-tracing extension: in binary mode `ce-traceparent` carries the event's starting
    trace, the HTTP `traceparent` this hop; the hub continues the hop and links the start."""
    event = cloudevent(event_id="e-3")
    headers = {**AUTH, "Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": "e-3",
               "ce-source": event["source"], "ce-type": event["type"], "ce-subject": event["subject"],
               "ce-traceparent": EXT_TRACEPARENT, "traceparent": TRACEPARENT}
    assert client.post("/api/v1/events", content=json.dumps(event["data"]), headers=headers).status_code == 202
    [intake] = spans.named("intake")
    assert hex_ids(intake)[0] == TRACE
    assert [f"{link.context.trace_id:032x}" for link in intake.links] == [EXT_TRACE]
    assert stored(hub, "e-3").traceparent.split("-")[1] == TRACE  # type: ignore[union-attr]


def test_a_trace_is_started_when_none_came_and_an_invalid_one_is_ignored(client: TestClient, hub: Hub,
                                                                        spans: Spans) -> None:
    for n, extra in enumerate(({}, {"traceparent": "00-" + "0" * 32 + "-" + "1" * 16 + "-01"},
                               {"traceparent": "not a traceparent"})):
        assert client.post("/api/v1/events", json=cloudevent(event_id=f"n-{n}"),
                           headers={**CE, **extra}).status_code == 202
    intakes = spans.named("intake")
    assert len(intakes) == 3
    assert all(s.parent is None for s in intakes)
    assert len({hex_ids(s)[0] for s in intakes}) == 3  # a new trace each
    for n in range(3):
        row = stored(hub, f"n-{n}")
        assert row.traceparent is not None and row.caller_traceparent is None


def test_duplicate_keeps_the_first_trace(client: TestClient, hub: Hub, spans: Spans) -> None:
    client.post("/api/v1/events", json=cloudevent(event_id="d-1"), headers={**CE, "traceparent": TRACEPARENT})
    first = stored(hub, "d-1").traceparent
    again = client.post("/api/v1/events", json=cloudevent(event_id="d-1"), headers=CE)
    assert again.json()["duplicate"] is True
    assert stored(hub, "d-1").traceparent == first
    assert [s.attributes["afsprakenhub.duplicate"] for s in spans.named("intake")  # type: ignore[index]
            ] == [False, True]


def test_batch_each_event_its_own_intake_span_under_the_header(client: TestClient, hub: Hub, spans: Spans) -> None:
    batch = [cloudevent(event_id=f"b-{n}", appointment_id=f"A-{n}") for n in range(3)]
    answer = client.post("/api/v1/events", content=json.dumps(batch),
                         headers={**AUTH, "Content-Type": "application/cloudevents-batch+json",
                                  "traceparent": TRACEPARENT})
    assert answer.status_code == 202
    intakes = spans.named("intake")
    assert len(intakes) == 3 and {hex_ids(s)[0] for s in intakes} == {TRACE}
    assert {stored(hub, f"b-{n}").traceparent for n in range(3)} == {
        f"00-{TRACE}-{hex_ids(s)[1]}-01" for s in intakes}


def test_notificatie_takes_the_header(hub: Hub, spans: Spans) -> None:
    with TestClient(create_app(hub)) as c:
        message = {"kanaal": "zaken", "hoofdObject": "http://127.0.0.1:8702/zaken/api/v1/zaken/1",
                   "resource": "zaak", "resourceUrl": "http://127.0.0.1:8702/zaken/api/v1/zaken/1",
                   "actie": "partial_update", "aanmaakdatum": "2027-03-01T10:00:00Z", "kenmerken": {}}
        hub.settings.zgw.zaken_base_urls = ["http://127.0.0.1:8702/zaken/api/v1"]
        answer = c.post("/api/v1/notificaties", json=message, headers={**AUTH, "traceparent": TRACEPARENT})
    assert answer.status_code == 204, answer.text
    [intake] = spans.named("intake")
    assert hex_ids(intake)[0] == TRACE


def _values(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def test_span_attributes_hold_no_personal_data(client: TestClient, hub: Hub, spans: Spans) -> None:
    """Every attribute key is one the hub declares (ids, names, status codes), and no value holds the
    event's personal data (BSN, names, e-mail addresses, phone, birth date)."""
    client.post("/api/v1/events", json=cloudevent(event_id="p-1"), headers={**CE, "traceparent": TRACEPARENT})
    drain(hub)
    found = spans.all()
    assert {s.name for s in found} >= {"intake", "deliver recorder"}
    personal = (FAKE_BSN, "Dijk", "Jan", "jan@example.nl", "0612345678", "1980-01-28", "p.jansen@example.nl",
                "spreekkamer3@example.nl")
    for span in found:
        assert set(span.attributes or {}) <= tracing.ALLOWED_ATTRIBUTES, span.name
        for value in (v for vs in (span.attributes or {}).values() for v in _values(vs)):
            assert not any(p in value for p in personal), (span.name, value)
        assert not any(p in span.name for p in personal)
