"""Intake and delivery: dedupe, fan-out, version guard, retries, dead letters, replay, sweeper."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from hub import operations
from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.registry import FlowSpec
from hub.store.tables import AuditRecord, Delivery, InboxEvent
from tests.support.events import cloudevent
from tests.support.flows import Clock, Recorder, permanent, registry_with, transient


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chub(settings: Settings, recorder: Recorder, clock: Clock) -> Iterator[Hub]:
    h = Hub(settings, registry=registry_with(recorder), now=clock, worker_name="test")
    yield h
    h.close()


def _count(hub: Hub, model: type) -> int:
    with hub.db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _accept(hub: Hub, *raws: dict) -> list[int]:
    accepted = hub.intake.accept([parse_event(r) for r in raws], "test")
    return [d for a in accepted for d in a.delivery_ids]


def _status(hub: Hub, delivery_id: int) -> str:
    view = operations.get_delivery(hub, delivery_id)
    assert view is not None
    return view.status


def test_duplicate_delivery_stores_one_event(chub: Hub) -> None:
    first = chub.intake.accept([parse_event(cloudevent())], "tip")
    second = chub.intake.accept([parse_event(cloudevent())], "tip")
    assert [a.duplicate for a in first + second] == [False, True]
    assert second[0].inbox_id == first[0].inbox_id and second[0].delivery_ids == ()
    assert _count(chub, InboxEvent) == 1 and _count(chub, Delivery) == 1


def test_batch_of_100_with_10_repeats_stores_90(chub: Hub) -> None:
    events = [cloudevent(appointment_id=f"A-{i}") for i in range(90)]
    events += [cloudevent(appointment_id=f"A-{i}") for i in range(10)]
    accepted = chub.intake.accept([parse_event(e) for e in events], "tip")
    assert sum(a.duplicate for a in accepted) == 10
    assert _count(chub, InboxEvent) == 90 and _count(chub, Delivery) == 90


def test_one_event_fans_out_to_each_consuming_flow(settings: Settings, recorder: Recorder) -> None:
    other = Recorder()
    extra = [FlowSpec("other", ("nl.tilburg.afspraken.appointment.cancelled",), other.handler, "test"),
             FlowSpec("zaken", ("nl.overheid.zaken.*",), other.handler, "test")]
    h = Hub(settings, registry=registry_with(recorder, extra=extra))
    try:
        [booked] = h.intake.accept([parse_event(cloudevent("booked"))], "tip")
        [cancelled] = h.intake.accept([parse_event(cloudevent("cancelled", version=2))], "tip")
        assert len(booked.delivery_ids) == 1 and len(cancelled.delivery_ids) == 2
    finally:
        h.close()


def test_event_no_flow_consumes_is_processed_at_once(chub: Hub) -> None:
    chub.intake.accept([parse_event({"specversion": "1.0", "id": "x", "source": "s", "type": "other.thing"})], "t")
    assert operations.status(chub)["inbox"] == {"received": 1, "processed": 1, "pending": 0}


def test_success_marks_event_processed(chub: Hub, recorder: Recorder) -> None:
    [d] = _accept(chub, cloudevent())
    assert chub.runtime.processor.process(d).status == "succeeded"
    assert recorder.applied == [("A-1001", 1)]
    assert operations.status(chub)["inbox"]["processed"] == 1
    assert operations.status(chub)["deliveries"]["recorder"]["succeeded"] == 1


def test_stale_version_is_skipped_and_recorded(chub: Hub, recorder: Recorder) -> None:
    [newer] = _accept(chub, cloudevent("rescheduled", version=3))
    [older] = _accept(chub, cloudevent("booked", version=2))
    chub.runtime.processor.process(newer)
    outcome = chub.runtime.processor.process(older)
    assert outcome.status == "skipped" and "version 2 < applied 3" in (outcome.detail or "")
    assert recorder.applied == [("A-1001", 3)]
    with chub.db.unit_of_work() as s:
        actions = list(s.scalars(select(AuditRecord.action)))
    assert "skip-stale" in actions


def test_same_version_again_is_not_stale(chub: Hub, recorder: Recorder) -> None:
    [a] = _accept(chub, cloudevent(version=2, event_id="first"))
    [b] = _accept(chub, cloudevent(version=2, event_id="second"))
    chub.runtime.processor.process(a)
    assert chub.runtime.processor.process(b).status == "succeeded"


def test_transient_failure_retries_then_succeeds(chub: Hub, recorder: Recorder, clock: Clock) -> None:
    recorder.failures = [transient(), transient(retry_after=5)]
    [d] = _accept(chub, cloudevent())
    first = chub.runtime.processor.process(d)
    assert first.status == "failed" and first.retry_in is not None
    clock.advance(first.retry_in)
    second = chub.runtime.processor.process(d)
    assert second.retry_in == 5  # Retry-After honoured over the (smaller) backoff
    assert chub.runtime.processor.process(d).status == "not-claimed"  # not due yet
    clock.advance(5)
    assert chub.runtime.processor.process(d).status == "succeeded"
    view = operations.get_delivery(chub, d)
    assert view is not None and view.attempts == 3 and recorder.applied == [("A-1001", 1)]


def test_transient_failures_exhaust_to_dead(chub: Hub, recorder: Recorder, clock: Clock) -> None:
    recorder.failures = [transient("503 from peer")] * 4
    [d] = _accept(chub, cloudevent())
    for _ in range(4):
        outcome = chub.runtime.processor.process(d)
        clock.advance(60)
    assert outcome.status == "dead" and "gave up after 4 attempts: 503 from peer" in (outcome.detail or "")


def test_permanent_failure_goes_dead_and_replay_brings_it_back(chub: Hub, recorder: Recorder) -> None:
    recorder.failures = [permanent("INVALID_FIELD: Kanaal__c")]
    [d] = _accept(chub, cloudevent())
    assert chub.runtime.processor.process(d).status == "dead"
    dead = operations.list_deliveries(chub, status_="dead")
    assert [v.lastError for v in dead] == ["INVALID_FIELD: Kanaal__c"]
    assert operations.status(chub)["inbox"]["pending"] == 0  # dead is final until replayed
    assert operations.replay(chub, [d], "ops") == [d]
    assert _status(chub, d) == "pending" and operations.status(chub)["inbox"]["pending"] == 1
    assert chub.runtime.processor.process(d).status == "succeeded"
    assert recorder.applied == [("A-1001", 1)]


def test_replay_refuses_succeeded(chub: Hub) -> None:
    [d] = _accept(chub, cloudevent())
    chub.runtime.processor.process(d)
    assert operations.replay(chub, [d], "ops") == []


def test_unexpected_exception_is_retried_with_redacted_reason(chub: Hub, recorder: Recorder) -> None:
    recorder.failures = [KeyError("jan@example.nl")]
    [d] = _accept(chub, cloudevent())
    outcome = chub.runtime.processor.process(d)
    assert outcome.status == "failed" and "jan@example.nl" not in (outcome.detail or "")
    assert "KeyError" in (outcome.detail or "")


def test_claimed_delivery_is_not_processed_twice(chub: Hub, recorder: Recorder) -> None:
    [d] = _accept(chub, cloudevent())
    assert chub.runtime.processor._claim(d) == 1  # a worker holds the lease
    assert chub.runtime.processor.process(d).status == "not-claimed"
    assert recorder.calls == 0


def test_sweeper_requeues_lost_and_expired_deliveries(chub: Hub, recorder: Recorder, clock: Clock) -> None:
    [lost, leased] = _accept(chub, cloudevent(appointment_id="A-1"), cloudevent(appointment_id="A-2"))
    chub.runtime.processor._claim(leased)  # its worker died holding the lease
    sent: list[int] = []
    chub.runtime.enqueue = lambda delivery_id, delay_seconds=0.0: sent.append(delivery_id)  # type: ignore[method-assign]
    assert chub.runtime.sweep() == 1 and sent == [lost]
    clock.advance(chub.settings.retry.lease_seconds + 1)
    assert chub.runtime.sweep() == 1 and sent[1:] == [leased]  # `lost` was re-sent a moment ago: it waits


def test_purge_drops_payloads_keeps_audit(chub: Hub, clock: Clock) -> None:
    [d] = _accept(chub, cloudevent())
    chub.runtime.processor.process(d)
    audit_before = operations.audit_count(chub)
    clock.advance(86400 * 31)
    assert operations.purge(chub, 30, "ops")["events"] == 1
    with chub.db.unit_of_work() as s:
        row = s.scalars(select(InboxEvent)).one()
        assert row.payload is None and row.purged_at is not None and row.subject == "A-1001"
    assert operations.audit_count(chub) == audit_before + 1


def test_purge_keeps_unprocessed_and_recent(chub: Hub, clock: Clock) -> None:
    _accept(chub, cloudevent())
    clock.advance(86400 * 31)
    assert operations.purge(chub, 30, "ops")["events"] == 0


def test_trace_shows_events_deliveries_and_links(chub: Hub) -> None:
    [d] = _accept(chub, cloudevent())
    chub.runtime.processor.process(d)
    data = operations.trace(chub, "A-1001")
    assert data["events"][0]["deliveries"][0]["status"] == "succeeded"
    assert data["links"][0]["peer"] == "flow:recorder" and data["links"][0]["lastVersion"] == 1
    assert "999993653" not in str(data)


def test_worker_threads_on_stub_broker_process_everything(chub: Hub, recorder: Recorder) -> None:
    ids = _accept(chub, *[cloudevent(appointment_id=f"A-{i}") for i in range(20)])
    chub.runtime.start_worker(4)
    chub.runtime.enqueue_many(ids)
    assert chub.runtime.join(timeout=30)
    assert sorted(recorder.applied) == sorted((f"A-{i}", 1) for i in range(20))
    assert operations.status(chub)["deliveries"]["recorder"]["succeeded"] == 20


def test_sweeper_backs_off_on_a_backlog_it_already_resent(chub: Hub, clock: Clock) -> None:
    """A backlog slower than the sweeper is re-sent after 1, 3, 7 … sweep steps — not at every sweep."""
    ids = _accept(chub, *(cloudevent(appointment_id=f"A-{n}") for n in range(3)))
    sent: list[int] = []
    chub.runtime.enqueue = lambda delivery_id, delay_seconds=0.0: sent.append(delivery_id)  # type: ignore[method-assign]
    retry = chub.settings.retry
    step = max(retry.sweep_grace_seconds, retry.sweep_interval_seconds)
    resent_per_sweep = []
    for _ in range(8):  # eight sweeps, one step apart, while nothing drains the queue
        clock.advance(step)
        resent_per_sweep.append(chub.runtime.sweep())
    assert resent_per_sweep == [3, 0, 3, 0, 0, 0, 3, 0]  # re-sent after 1, 3 and 7 steps
    assert sorted(set(sent)) == sorted(ids)
