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


def test_a_delivery_cut_off_mid_run_keeps_the_appointment_until_it_ran_again(settings: Settings) -> None:
    # Found by the chaos suite: a worker was killed after its calendar create and before recording it; once the
    # lease ran out the reassignment went first, and the first delivery was then stale: the event stayed behind.
    from hub.delivery import Claim

    recorder, clock = Recorder(), Clock(datetime.now(UTC))
    hub, first, second = _two_deliveries(settings, recorder, clock)
    try:
        processor = hub.runtime.processor
        assert isinstance(processor._begin(first), Claim)  # a worker takes it and dies: never finished
        clock.advance(settings.retry.lease_seconds + 1)  # its lease and its order lock have expired
        assert processor.process(second) is BUSY  # its writes may have landed: it runs again first
        assert processor.process(first).status == "succeeded"
        assert processor.process(second).status == "succeeded"
        assert recorder.applied == [("A-1001", 1), ("A-1001", 2)]
    finally:
        hub.close()


def test_an_expired_order_lock_whose_delivery_has_ended_is_taken(settings: Settings) -> None:
    from sqlalchemy import update

    from hub.delivery import Claim
    from hub.store.tables import Delivery, DeliveryStatus

    recorder, clock = Recorder(), Clock(datetime.now(UTC))
    hub, first, second = _two_deliveries(settings, recorder, clock)
    try:
        processor = hub.runtime.processor
        assert isinstance(processor._begin(first), Claim)
        with hub.db.unit_of_work() as s:  # ended without freeing its lock (e.g. by hand)
            s.execute(update(Delivery).where(Delivery.id == first).values(status=DeliveryStatus.DEAD))
        assert processor.process(second) is BUSY  # the lock has not expired yet
        clock.advance(settings.retry.lease_seconds + 1)
        assert processor.process(second).status == "succeeded"
    finally:
        hub.close()
