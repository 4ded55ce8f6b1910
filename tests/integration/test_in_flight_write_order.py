"""A write sent but not answered may still land: the appointment's next delivery waits for the retry.

Found by the chaos suite: a Salesforce upsert timed out, the next event's delivery wrote the newer status, then
the first upsert landed and put the older status back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import BUSY
from hub.errors import TransientError
from hub.model import parse_event
from tests.support.events import cloudevent
from tests.support.flows import Clock, Recorder, registry_with


def _two_deliveries(settings: Settings, recorder: Recorder, clock: Clock) -> tuple[Hub, int, int]:
    hub = Hub(settings, registry=registry_with(recorder, ordered=False), now=clock, worker_name="w")
    [first] = hub.intake.accept([parse_event(cloudevent("booked", version=1))], "test")
    [second] = hub.intake.accept([parse_event(cloudevent("cancelled", version=2))], "test")
    return hub, first.delivery_ids[0], second.delivery_ids[0]


def test_after_an_unanswered_write_the_appointment_waits_for_the_retry(settings: Settings) -> None:
    recorder, clock = Recorder(), Clock(datetime.now(UTC))
    recorder.failures.append(TransientError("peer write timed out", retry_after=5.0, in_flight=True))
    hub, first, second = _two_deliveries(settings, recorder, clock)
    try:
        processor = hub.runtime.processor
        assert processor.process(first).status == "failed"
        assert processor.process(second) is BUSY  # the first write may still land: no overtaking
        clock.advance(6)
        assert processor.process(first).status == "succeeded"
        assert processor.process(second).status == "succeeded"
        assert recorder.applied == [("A-1001", 1), ("A-1001", 2)]
    finally:
        hub.close()


def test_an_ordinary_transient_failure_lets_the_next_delivery_go_first(settings: Settings) -> None:
    recorder, clock = Recorder(), Clock(datetime.now(UTC))
    recorder.failures.append(TransientError("503 from the peer"))
    hub, first, second = _two_deliveries(settings, recorder, clock)
    try:
        assert hub.runtime.processor.process(first).status == "failed"
        assert hub.runtime.processor.process(second).status == "succeeded"
    finally:
        hub.close()
