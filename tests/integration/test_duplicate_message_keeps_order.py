"""A second queue message for a delivery that is running leaves its order lock alone (found by the chaos suite:
the duplicate freed the lock, a newer event of the appointment ran alongside and wrote a klantcontact twice)."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import BUSY, NOT_CLAIMED, Claim
from hub.model import parse_event
from tests.support.events import cloudevent
from tests.support.flows import Clock, Recorder, registry_with


def test_a_duplicate_message_for_a_running_delivery_keeps_the_appointment_locked(settings: Settings) -> None:
    clock = Clock(datetime.now(UTC))
    hub = Hub(settings, registry=registry_with(Recorder(), ordered=False), now=clock, worker_name="w")
    try:
        [first] = hub.intake.accept([parse_event(cloudevent("booked", version=1))], "test")
        [second] = hub.intake.accept([parse_event(cloudevent("cancelled", version=2))], "test")
        processor = hub.runtime.processor
        running = processor._begin(first.delivery_ids[0])  # a worker runs it (lease and order lock held)
        assert isinstance(running, Claim)
        assert processor.process(first.delivery_ids[0]) is NOT_CLAIMED  # the duplicate message
        assert processor.process(second.delivery_ids[0]) is BUSY  # still one delivery per appointment at a time
    finally:
        hub.close()


def test_a_busy_delivery_spends_no_attempt(settings: Settings) -> None:
    hub = Hub(settings, registry=registry_with(Recorder(), ordered=False), worker_name="w")
    try:
        [first] = hub.intake.accept([parse_event(cloudevent("booked", version=1))], "test")
        [second] = hub.intake.accept([parse_event(cloudevent("cancelled", version=2))], "test")
        processor = hub.runtime.processor
        assert isinstance(processor._begin(first.delivery_ids[0]), Claim)
        assert processor.process(second.delivery_ids[0]) is BUSY
        from hub import operations

        view = operations.get_delivery(hub, second.delivery_ids[0])
        assert view is not None and view.attempts == 0 and view.status == "pending"
    finally:
        hub.close()
