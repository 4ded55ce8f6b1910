"""Pick-up readiness through a real Hub and store, against the register and TIP simulators on loopback and a
Key2Burgerzaken view in a SQLite file: each transition, reruns, reminders, flags, failures and privacy."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import flows.pickup_readiness  # noqa: F401  (registers the flow and the `pickups` job)
from connectors.key2burgerzaken import Key2BurgerzakenSettings
from connectors.register.adapter import CanonicalRegister
from connectors.tip import TipPublisher, TipSettings
from hub import operations
from hub.bootstrap import Hub
from hub.config import Settings
from hub.demo.day import fake_bsn
from hub.logging import configure_logging
from hub.model import AppointmentStatus, CloudEvent, parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.scheduler import JobResult, run_job
from hub.settings import RegisterSettings
from hub.store.tables import AuditRecord, JobState
from mappings.key2burgerzaken import ELIGIBLE, LAPSED, READY, REMINDER, RESCHEDULE
from sandbox.key2burgerzaken import Key2BurgerzakenFixture
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer
from sandbox.tip import TipReceiver
from tests.support.flows import wait_for

READY_CODE, APPLIED, HANDED_OUT, LAPSED_CODE = "GEREED VOOR UITREIKING", "AANGEVRAAGD", "UITGEREIKT", "VERVALLEN"
PASSPORT_PICKUP = "REISDOCUMENT-UITREIKING"


@dataclass
class Env:
    hub: Hub
    register: RegisterSimulator
    tip: TipReceiver
    k2b: Key2BurgerzakenFixture
    logs: io.StringIO
    numbers: list[str]
    bsns: list[str]

    def now(self) -> datetime:
        return datetime.now(UTC)

    def document(self, app: str, status: str, *, days_ago: float = 1, doc_type: str = "PN") -> str:
        """Add a document for a new customer; returns the customer's BSN."""
        bsn = fake_bsn(random.Random(app))
        number = f"NX{abs(hash(app)) % 10**7:07d}"
        self.numbers.append(number)
        self.bsns.append(bsn)
        self.k2b.add(app, document_type=doc_type, document_number=number, bsn=bsn, status=status,
                     at=self.now() - timedelta(days=days_ago))
        return bsn

    def book(self, bsn: str, product: str = PASSPORT_PICKUP, days_ahead: int = 3) -> str:
        start = (self.now() + timedelta(days=days_ahead)).replace(microsecond=0)
        customer = {"bsn": bsn, "firstName": "Jan", "lastName": "Dijk", "email": "jan@example.nl"}
        return self.register.book(start, products=(product,), customer=customer).id

    def sync(self, dry_run: bool = False) -> JobResult:
        return run_job(self.hub, "pickups", dry_run=dry_run, actor="test")

    def deliver(self, event: CloudEvent) -> list[int]:
        [accepted] = self.hub.intake.accept([parse_event(event.model_dump(mode="json"))], "tip")
        return list(accepted.delivery_ids)

    def process(self, delivery_id: int) -> str:
        return str(self.hub.runtime.processor.process(delivery_id).status)

    def events_of(self, appointment_id: str) -> list[CloudEvent]:
        return [e for e in self.register.emitted if e.subject == appointment_id]

    def types(self) -> list[str]:
        return [e.type for e in self.tip.events]

    def assert_private(self) -> None:
        """No full document number in any outbound payload or log line; no BSN in either."""
        bodies, lines = self.tip.bodies(), self.logs.getvalue().splitlines()
        assert lines, "no log lines were captured"
        for text in [*bodies, *lines]:
            for secret in [*self.numbers, *self.bsns]:
                assert secret not in text
        for body in bodies:
            data = json.loads(body)["data"]
            for doc in data.get("documents", [data]):
                masked = doc.get("documentNumberMasked")
                assert masked is None or (masked.startswith("******") and len(masked) == 9)


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> Iterator[Env]:
    register, tip = RegisterSimulator(), TipReceiver()
    server = SandboxServer(register, tip).start()
    k2b = Key2BurgerzakenFixture(tmp_path / "k2b.db")
    s = settings.model_copy(update={
        "register_api": RegisterSettings(base_url=register.api_url, token_url=register.token_url),
        "key2burgerzaken": Key2BurgerzakenSettings(**k2b.settings()),
        "tip": TipSettings(events_url=tip.events_url, secret=tip.secret, max_retries=2),
    })
    registry = FlowRegistry()
    registry.add(REGISTRY.get("pickup_readiness"))
    peers = {"tip": TipPublisher(s.tip, sleep=lambda _: None),
             "register": CanonicalRegister.from_settings(s.register_api, sleep=lambda _: None)}
    logs = io.StringIO()
    configure_logging("INFO", "json", stream=logs)
    hub = Hub(s, registry=registry, peers=peers, worker_name="test")
    try:
        yield Env(hub, register, tip, k2b, logs, [], [])
    finally:
        hub.close()
        server.stop()
        k2b.close()
        configure_logging("WARNING", "json")


def job_persons(hub: Hub) -> list[str]:
    """The persons the `pickups` job's records name (LDV: a child record per person), decrypted."""
    with hub.db.reading() as s:
        rows = s.execute(select(AuditRecord.data_subject_id).where(AuditRecord.action == "job:pickups: subject")
                         .order_by(AuditRecord.id)).scalars().all()
    return [hub.audit.cipher.decrypt(r or "", "BSN") for r in rows]


def test_ready_gives_notice_and_access_reminder_once_rerun_changes_nothing(env: Env) -> None:
    ready_bsn = env.document("K2B-1", READY_CODE)
    reminded_bsn = env.document("K2B-2", READY_CODE, days_ago=61)
    env.document("K2B-3", APPLIED)
    result = env.sync()
    persons = job_persons(env.hub)
    assert {ready_bsn, reminded_bsn} <= set(persons) <= set(env.bsns) and len(persons) == len(set(persons))
    assert result.outcome == "ok" and result.counts["ready"] == 1 and result.counts["reminder"] == 1
    assert sorted(env.types()) == sorted([ELIGIBLE, READY, ELIGIBLE, REMINDER])
    ready = env.tip.of_type(READY)[0]
    assert ready.subject == "K2B-1" and ready.data["pickupProduct"] == PASSPORT_PICKUP
    assert ready.data["bookingLink"] and ready.data["pickupWindow"]["until"]
    assert env.tip.rejected == []  # every signature verified by the receiver
    again = env.sync()
    assert again.counts.get("unchanged") == 3 and not {"ready", "reminder", "access"} & set(again.counts)
    assert len(env.tip.events) == 4 and env.tip.duplicates == 0
    assert job_persons(env.hub) == persons  # nothing done for anyone the second time: no record of a person
    with env.hub.db.unit_of_work() as s:
        watermark = s.scalar(select(JobState.watermark).where(JobState.job == "pickups"))
    assert watermark and watermark["statusDate"]
    env.assert_private()


def test_dry_run_counts_and_writes_nothing(env: Env) -> None:
    env.document("K2B-1", READY_CODE)
    result = env.sync(dry_run=True)
    assert result.counts["ready"] == 1 and env.tip.events == []
    assert env.hub.links.get("K2B-1", "k2b:document") is None
    assert env.sync().counts["ready"] == 1 and len(env.tip.of_type(READY)) == 1


def test_hand_out_completes_and_lapse_cancels_without_notifying(env: Env) -> None:
    collector = env.document("K2B-10", READY_CODE)
    lapser = env.document("K2B-11", READY_CODE, doc_type="RB")
    env.sync()
    collected = env.book(collector)
    lapsing = env.book(lapser, "RIJBEWIJS-UITREIKING")
    other = env.book(collector, "RIJBEWIJS-UITREIKING")  # another product: never touched
    env.k2b.set_status("K2B-10", HANDED_OUT, env.now())
    env.k2b.set_status("K2B-11", LAPSED_CODE, env.now())
    result = env.sync()
    assert result.counts["appointments_completed"] == 1 and result.counts["appointments_cancelled"] == 1
    assert env.register.get(collected).status is AppointmentStatus.COMPLETED
    assert env.register.get(lapsing).status is AppointmentStatus.CANCELLED
    assert env.register.get(other).status is AppointmentStatus.BOOKED
    assert env.register.notifications_for(collected) == [] and env.register.notifications_for(lapsing) == []
    [lapsed] = env.tip.of_type(LAPSED)
    assert lapsed.subject == "K2B-11" and lapsed.data["cancelledAppointments"] == [lapsing]
    calls = len(env.register.calls.all())
    assert not {"complete", "lapse"} & set(env.sync().counts)
    assert len(env.register.calls.all()) == calls and len(env.tip.of_type(LAPSED)) == 1
    env.assert_private()


def test_two_transitions_between_runs(env: Env) -> None:
    bsn = env.document("K2B-20", APPLIED)
    env.sync()
    appointment = env.book(bsn)
    env.k2b.set_status("K2B-20", READY_CODE, env.now() - timedelta(minutes=5))
    env.k2b.set_status("K2B-20", HANDED_OUT, env.now())
    result = env.sync()
    assert result.counts.get("complete") == 1 and "ready" not in result.counts
    assert env.tip.of_type(READY) == [] and env.register.get(appointment).status is AppointmentStatus.COMPLETED


def test_pickup_booked_before_ready_is_flagged_once_despite_duplicates_and_disorder(env: Env) -> None:
    bsn = env.document("K2B-30", APPLIED)
    appointment = env.book(bsn)
    env.register.reschedule(appointment, env.register.get(appointment).start + timedelta(days=1))
    booked, moved = env.events_of(appointment)
    [d2] = env.deliver(moved)
    [d1] = env.deliver(booked)
    assert env.deliver(moved) == []  # the same event again: stored once
    assert env.process(d2) == "succeeded"
    assert env.process(d1) == "skipped"  # older snapshot after a newer one
    [flag] = env.tip.of_type(RESCHEDULE)
    assert flag.subject == appointment and flag.data["reason"] == "not-ready"
    assert flag.data["documents"][0]["applicationNumber"] == "K2B-30"
    again = CloudEvent.model_validate({**moved.model_dump(), "id": moved.id + "-again"})
    [d3] = env.deliver(again)
    assert env.process(d3) == "succeeded" and len(env.tip.of_type(RESCHEDULE)) == 1
    with env.hub.db.unit_of_work() as s:
        audits = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "flag-pickup-not-ready")))
    assert len(audits) == 1 and audits[0].references["appointmentId"] == appointment
    assert bsn not in json.dumps(audits[0].references)
    env.assert_private()


def test_pickup_booked_for_a_ready_document_is_not_flagged(env: Env) -> None:
    bsn = env.document("K2B-31", READY_CODE)
    [d] = env.deliver(env.events_of(env.book(bsn))[0])
    assert env.process(d) == "succeeded" and env.tip.of_type(RESCHEDULE) == []


def test_transient_tip_failure_is_retried_then_succeeds(env: Env) -> None:
    bsn = env.document("K2B-40", APPLIED)
    [d] = env.deliver(env.events_of(env.book(bsn))[0])
    env.tip.set_faults(fail_next=[503, 503, 503])  # more than the publisher's own 2 retries
    assert env.process(d) == "failed"
    assert wait_for(lambda: env.process(d) == "succeeded", timeout=10)
    assert len(env.tip.of_type(RESCHEDULE)) == 1


def test_permanent_tip_failure_is_dead_lettered_with_the_reason(env: Env) -> None:
    bsn = env.document("K2B-41", APPLIED)
    [d] = env.deliver(env.events_of(env.book(bsn))[0])
    env.tip.set_faults(fail_next=[400])
    assert env.process(d) == "dead"
    [dead] = operations.list_deliveries(env.hub, status_="dead")
    assert dead.lastError == "tip publish failed: 400 Bad Request"


def test_job_stops_on_transient_failure_and_resumes(env: Env) -> None:
    env.document("K2B-50", READY_CODE)
    env.tip.set_faults(fail_next=[503, 503, 503])
    stopped = env.sync()
    assert stopped.outcome == "retry" and "tip publish failed: 503" in stopped.counts["reason"]
    assert env.hub.links.get("K2B-50", "k2b:document") is None
    resumed = env.sync()
    assert resumed.outcome == "ok" and resumed.counts["ready"] == 1
    assert [e.type for e in env.tip.events].count(READY) == 1


def test_a_register_that_cannot_complete_still_gets_notices_and_says_what_it_skipped(env: Env) -> None:
    """Notices need no register: they go out; completing the pick-up is skipped, counted and named."""
    from hub.ports.register import Capability

    limited = env.hub.peers.register  # the canonical adapter (behind the breaker), told it cannot complete
    assert limited.vendor == "canonical"
    limited.capabilities = limited.capabilities - {Capability.COMPLETE}
    collector = env.document("K2B-40", READY_CODE)
    env.sync()
    appointment = env.book(collector)
    env.k2b.set_status("K2B-40", HANDED_OUT, env.now())
    result = env.sync()
    assert result.outcome == "partial" and result.counts["unsupported"] == 1
    assert result.counts["note"] == "not supported by register canonical: complete"
    assert "appointments_completed" not in result.counts
    assert env.register.get(appointment).status is AppointmentStatus.BOOKED
    assert len(env.tip.of_type(READY)) == 1
