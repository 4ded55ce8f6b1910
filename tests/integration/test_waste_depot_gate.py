"""The waste-depot gate end to end through the HTTP API: bookings from events, the pass list from a CSV drop,
every reason code, gate credentials, retries that never make a second visit, a register that is down; the gate
index (a change made by another process is seen) and the group commit (first scans at once store one visit
each; a server killed in the middle of a batch answered none of it and stored none of it)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import OperationalError

from connectors.passes import PassListSettings
from flows.waste_depot import admit
from flows.waste_depot import visit as visit_flow
from flows.waste_depot.codes import pass_key, signed_code
from flows.waste_depot.gate import AccessAnswer, AccessCheck, decide_scan, prepare
from flows.waste_depot.index import index_of, loaded_index
from flows.waste_depot.jobs import BOOKINGS_JOB, PASSES_JOB
from flows.waste_depot.scan_log import flush_scans, scan_log_of
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings, WasteDepotSettings
from hub.delivery import DeliveryProcessor
from hub.errors import TransientError
from hub.model import Appointment, AppointmentStatus, parse_event
from hub.ports.register import ALL_CAPABILITIES, Capability, ConflictError
from hub.registry import REGISTRY, FlowRegistry
from hub.scheduler import run_job
from hub.store import waste_depot as store
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent
from hub.store.waste_depot_tables import WasteDepotScan, WasteDepotVisit
from tests.conftest import AUTH
from tests.support import gate_process
from tests.support.events import AMS, cloudevent

LOC = "LOC-MILIEUSTRAAT"
GATE_TOKENS = "gate-1:gate-one-token-0123456789,gate-2:gate-two-token-0123456789,gate-9:gate-nine-token-012345"
GATE1 = {"Authorization": "Bearer gate-one-token-0123456789"}
GATE2 = {"Authorization": "Bearer gate-two-token-0123456789"}
KEY = "test-waste-depot-key"
START = datetime(2027, 6, 1, 10, 0, tzinfo=AMS)
PASSES = "pasnummer;status;bezoeken\nMP-0001;geldig;0\nMP-0002;vervallen;0\nMP-0003;geldig;10\nMP-0004;geldig;9\n"


@dataclass
class FakeRegister:
    """The register's port as the visit flow and the safety-net read use it; `down` makes every call fail."""

    appointments: dict[str, Appointment] = field(default_factory=dict)
    check_ins: list[str] = field(default_factory=list)
    down: bool = False
    vendor: str = "fake"
    capabilities: frozenset[Capability] = ALL_CAPABILITIES

    def _up(self) -> None:
        if self.down:
            raise TransientError("register: 503", retry_after=None)

    def check_in_appointment(self, appointment_id: str, notify_customer: bool = False) -> Appointment:
        self._up()
        current = self.appointments[appointment_id]
        self.check_ins.append(appointment_id)
        if current.status == AppointmentStatus.CHECKED_IN:
            return current
        if current.status not in (AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED):
            raise ConflictError("register check_in_appointment: 409")
        changed = current.model_copy(update={"status": AppointmentStatus.CHECKED_IN, "version": current.version + 1})
        self.appointments[appointment_id] = changed
        return changed

    def get_appointment(self, appointment_id: str) -> Appointment:
        self._up()
        return self.appointments[appointment_id]

    def list_appointments(self, *, from_: datetime, to: datetime, location_id: str) -> Iterator[Appointment]:
        self._up()
        return iter([a for a in self.appointments.values()
                     if a.location.id == location_id and from_ <= a.start < to])


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def register() -> FakeRegister:
    return FakeRegister()


@pytest.fixture
def moments(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Contact moments the visit flow hands to the contact-moments flow: (appointment, event kind, status)."""
    seen: list[tuple[str, str, str]] = []

    def record(event: Any, ctx: Any) -> str:
        ae = event.appointment_event
        seen.append((ae.data.id, ae.appointment_kind, ae.data.status.value))
        return "recorded"

    monkeypatch.setattr(visit_flow, "record_contact_moments", record)
    return seen


@pytest.fixture
def gate_hub(settings: Settings, tmp_path: Path, clock: Clock, register: FakeRegister) -> Iterator[Hub]:
    drop = tmp_path / "passes"
    drop.mkdir()
    (drop / "milieupassen_20270601T060000.csv").write_text(PASSES, encoding="utf-8")
    settings = settings.model_copy(update={"waste_depot": WasteDepotSettings(
        locations=[LOC, "LOC-MS-NOORD"], gates={"gate-1": LOC, "gate-2": LOC, "gate-9": "LOC-MS-NOORD"},
        gate_tokens=GATE_TOKENS, signing_key=KEY,
        passes=PassListSettings(source="folder", folder=str(drop)))})
    registry = FlowRegistry()
    for name in ("waste_depot_bookings", "waste_depot_visit"):
        registry.add(REGISTRY.get(name))
    hub = Hub(settings, registry=registry, peers={"register": register}, now=clock, worker_name="test-worker")
    run_job(hub, PASSES_JOB)
    yield hub
    hub.close()


@pytest.fixture
def client(gate_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(gate_hub)) as c:
        yield c


def run_open_deliveries(hub: Hub) -> list[str]:
    with hub.db.reading() as s:
        ids = list(s.scalars(select(Delivery.id).where(Delivery.status.in_(DeliveryStatus.OPEN))
                             .order_by(Delivery.id)))
    return [DeliveryProcessor(hub, "test").process(i).status for i in ids]


def book(hub: Hub, register: FakeRegister, appointment_id: str, *, start: datetime = START, version: int = 1,
         kind: str = "booked", location: str = LOC, **extra: Any) -> None:
    """An appointment event as TIP posts it, processed by the bookings flow; the register holds it too."""
    raw = cloudevent(kind, appointment_id, version, location={"id": location, "name": "Milieustraat"},
                     start=start, products=[{"code": "MILIEUSTRAAT-BEZOEK", "quantity": 1}], **extra)
    event = parse_event(raw)
    hub.intake.accept([event], "tip")
    register.appointments[appointment_id] = event.data  # type: ignore[attr-defined]
    run_open_deliveries(hub)


def scan(client: TestClient, code: str, gate: str = "gate-1", pass_number: str | None = "MP-0001",  # noqa: S107
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/waste-depot/access-checks",
                           content=json.dumps({"qrCode": code, "gateId": gate, "passNumber": pass_number}),
                           headers={"Content-Type": "application/json", **(headers or GATE1)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"decision", "reason", "message", "appointmentId", "visitsLeft"}
    return body


def code(appointment_id: str) -> str:
    return signed_code(KEY, appointment_id)


def visits_and_events(hub: Hub) -> tuple[int, int]:
    with hub.db.reading() as s:
        return (s.scalar(select(func.count()).select_from(WasteDepotVisit)) or 0,
                s.scalar(select(func.count()).select_from(InboxEvent).where(
                    InboxEvent.type == visit_flow.EVENT_TYPE)) or 0)


def test_allowed_visit_is_recorded_once_however_often_the_gate_retries(
        client: TestClient, gate_hub: Hub, register: FakeRegister, clock: Clock,
        moments: list[tuple[str, str, str]]) -> None:
    book(gate_hub, register, "MS-1")
    first = scan(client, code("MS-1"))
    assert first == {"decision": "allow", "reason": "ok", "appointmentId": "MS-1", "visitsLeft": 9,
                     "message": first["message"]}
    assert first["message"].startswith("Welkom")
    clock.at += timedelta(seconds=30)
    assert scan(client, code("MS-1")) == first  # the same gate retrying within a minute: the same allow
    assert visits_and_events(gate_hub) == (1, 1)
    assert run_open_deliveries(gate_hub) == ["succeeded"]
    assert register.check_ins == ["MS-1"] and moments == [("MS-1", "checked_in", "checked_in")]
    book(gate_hub, register, "MS-1", version=2, kind="checked_in")  # the register's own echo
    clock.at += timedelta(seconds=20)
    assert scan(client, code("MS-1"))["decision"] == "allow"  # still the retry of the allowed scan
    clock.at += timedelta(seconds=20)
    again = scan(client, code("MS-1"))
    assert (again["decision"], again["reason"]) == ("deny", "already-used")
    assert scan(client, code("MS-1"), gate="gate-2", headers=GATE2)["reason"] == "already-used"
    assert visits_and_events(gate_hub) == (1, 1)
    assert run_open_deliveries(gate_hub) == [] and register.check_ins == ["MS-1"] and len(moments) == 1


def test_register_down_the_gate_still_answers_and_the_visit_is_delivered_later(
        client: TestClient, gate_hub: Hub, register: FakeRegister, clock: Clock,
        moments: list[tuple[str, str, str]]) -> None:
    book(gate_hub, register, "MS-2")
    register.down = True
    assert scan(client, code("MS-2"))["decision"] == "allow"
    assert run_open_deliveries(gate_hub) == ["failed"]  # retry scheduled, nothing lost
    assert register.check_ins == [] and moments == []
    register.down = False
    clock.at += timedelta(minutes=5)
    assert run_open_deliveries(gate_hub) == ["succeeded"]
    assert register.check_ins == ["MS-2"] and moments == [("MS-2", "checked_in", "checked_in")]
    assert register.appointments["MS-2"].status == AppointmentStatus.CHECKED_IN


def test_every_deny_reason_through_the_api(client: TestClient, gate_hub: Hub, register: FakeRegister,
                                            clock: Clock) -> None:
    book(gate_hub, register, "MS-3")
    book(gate_hub, register, "MS-4", version=2, kind="cancelled")
    book(gate_hub, register, "MS-5", location="LOC-MS-NOORD")
    assert scan(client, "MS1-NOTACODE")["reason"] == "unknown-code"
    assert scan(client, code("MS-4"))["reason"] == "cancelled"
    assert scan(client, code("MS-5"))["reason"] == "wrong-location"
    assert scan(client, code("MS-3"), pass_number="MP-0002")["reason"] == "pass-void"
    assert scan(client, code("MS-3"), pass_number="MP-0003")["reason"] == "pass-no-credit"
    assert scan(client, code("MS-3"), pass_number="MP-9999")["reason"] == "pass-unknown"
    assert scan(client, code("MS-3"), pass_number=None)["reason"] == "pass-unknown"  # none on the booking either
    clock.at = START.astimezone(UTC) - timedelta(hours=1, minutes=1)
    early = scan(client, code("MS-3"))
    assert (early["decision"], early["reason"], early["message"]) == (
        "deny", "too-early", "U bent te vroeg. Toegang vanaf 09:00.")
    clock.at = START.astimezone(UTC) + timedelta(minutes=15, hours=1, seconds=1)
    assert scan(client, code("MS-3"))["reason"] == "too-late"
    assert visits_and_events(gate_hub) == (0, 0)


def test_pass_on_the_booking_and_the_last_free_visit(client: TestClient, gate_hub: Hub,
                                                      register: FakeRegister) -> None:
    book(gate_hub, register, "MS-6", passNumber=" mp-0004 ")
    book(gate_hub, register, "MS-7", passNumber="MP-0004")
    last = scan(client, code("MS-6"), pass_number=None)
    assert (last["decision"], last["visitsLeft"]) == ("allow", 0)
    assert scan(client, code("MS-7"), pass_number=None)["reason"] == "pass-no-credit"
    status = client.get("/api/v1/waste-depot/passes/MP-0004", headers=AUTH)
    assert status.status_code == 200 and status.json() == {"status": "valid", "visitsLeft": 0}


def test_register_qr_code_wins_over_the_signed_one(client: TestClient, gate_hub: Hub,
                                                   register: FakeRegister) -> None:
    book(gate_hub, register, "MS-8", qrCode="GPLAN-QR-778899")
    assert scan(client, "GPLAN-QR-778899")["appointmentId"] == "MS-8"
    assert scan(client, code("MS-8"))["reason"] == "unknown-code"


def test_tip_gets_the_qr_code_for_the_confirmation_mail(client: TestClient, gate_hub: Hub,
                                                        register: FakeRegister) -> None:
    def qr(appointment_id: str) -> dict[str, Any]:
        response = client.get(f"/api/v1/waste-depot/appointments/{appointment_id}/qr-code", headers=AUTH)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    assert qr("MS-20") == {"appointmentId": "MS-20", "qrCode": code("MS-20"), "issuedBy": "hub"}  # not stored yet
    book(gate_hub, register, "MS-20")
    book(gate_hub, register, "MS-21", qrCode="GPLAN-QR-1")
    assert qr("MS-20")["qrCode"] == code("MS-20") and scan(client, qr("MS-20")["qrCode"])["decision"] == "allow"
    assert qr("MS-21") == {"appointmentId": "MS-21", "qrCode": "GPLAN-QR-1", "issuedBy": "register"}
    assert client.get("/api/v1/waste-depot/appointments/MS-20/qr-code", headers=GATE1).status_code == 401


def test_stale_version_does_not_overwrite(client: TestClient, gate_hub: Hub, register: FakeRegister) -> None:
    book(gate_hub, register, "MS-9", version=3, kind="cancelled")
    book(gate_hub, register, "MS-9", version=2)  # older snapshot arriving late
    assert scan(client, code("MS-9"))["reason"] == "cancelled"


def test_gate_credentials(client: TestClient, gate_hub: Hub, register: FakeRegister) -> None:
    book(gate_hub, register, "MS-10")
    body = json.dumps({"qrCode": code("MS-10"), "gateId": "gate-1", "passNumber": "MP-0001"})
    url = "/api/v1/waste-depot/access-checks"
    json_type = {"Content-Type": "application/json"}
    assert client.post(url, content=body, headers=json_type).status_code == 401
    assert client.post(url, content=body, headers={**json_type, **AUTH}).status_code == 401  # TIP's token
    assert client.post(url, content=body, headers={**json_type, **GATE2}).status_code == 403  # another gate
    assert client.post("/api/v1/events", content="{}", headers={**json_type, **GATE1}).status_code == 401
    bad = client.post(url, content=json.dumps({"qrCode": "", "gateId": "gate-1"}), headers={**json_type, **GATE1})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/waste-depot/passes/MP-0001").status_code == 401


def test_pass_status_endpoint(client: TestClient) -> None:
    def status(number: str) -> dict[str, Any]:
        response = client.get(f"/api/v1/waste-depot/passes/{number}", headers=AUTH)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    assert status("MP-0001") == {"status": "valid", "visitsLeft": 10}
    assert status("MP-0002") == {"status": "void", "visitsLeft": 10}
    assert status("MP-0003") == {"status": "valid", "visitsLeft": 0}
    assert status("XX-0000") == {"status": "unknown", "visitsLeft": 0}


def test_privacy_no_pass_number_or_name_in_store_audit_or_display(client: TestClient, gate_hub: Hub,
                                                                  register: FakeRegister) -> None:
    book(gate_hub, register, "MS-11", passNumber="MP-0001")
    answers = [scan(client, code("MS-11")), scan(client, code("MS-11"), pass_number="MP-0002")]
    flush_scans(gate_hub)
    with gate_hub.db.reading() as s:
        audit = [r.references for r in s.scalars(select(AuditRecord).where(
            AuditRecord.action == "waste-depot-access-check"))]
        scans = [(x.pass_key, x.reason) for x in s.scalars(select(WasteDepotScan))]
    assert len(audit) == 2 and all(a["passKey"] == pass_key(KEY, "MP-0001") for a in audit[:1])
    text = json.dumps([answers, audit, scans])
    for personal in ("MP-0001", "MP-0002", "Jan", "Dijk", "999993653"):
        assert personal not in text


def test_readiness_says_how_fresh_bookings_and_passes_are(client: TestClient, gate_hub: Hub,
                                                          register: FakeRegister, clock: Clock) -> None:
    not_read = client.get("/api/v1/waste-depot/health/ready", headers=GATE1)
    assert not_read.status_code == 200 and not_read.json()["status"] == "stale"
    assert not_read.json()["bookings"]["status"] == "never"
    assert not_read.json()["passes"]["status"] == "fresh" and not_read.json()["passes"]["count"] == 4
    book(gate_hub, register, "MS-12")
    result = run_job(gate_hub, BOOKINGS_JOB)
    assert result.counts["read"] == 1
    ready = client.get("/api/v1/waste-depot/health/ready", headers=AUTH)
    assert ready.status_code == 200 and ready.json()["status"] == "up"
    clock.at += timedelta(hours=2)
    stale = client.get("/api/v1/waste-depot/health/ready", headers=GATE1).json()
    assert stale["status"] == "stale" and stale["bookings"]["ageSeconds"] == 7200
    assert client.get("/api/v1/waste-depot/health/ready").status_code == 401


def test_register_read_is_a_safety_net_for_missed_events(client: TestClient, gate_hub: Hub,
                                                         register: FakeRegister, clock: Clock) -> None:
    missed = parse_event(cloudevent("booked", "MS-13", 1, location={"id": LOC}, start=START + timedelta(days=1)))
    register.appointments["MS-13"] = missed.data  # type: ignore[attr-defined]
    assert scan(client, code("MS-13"))["reason"] == "unknown-code"
    assert run_job(gate_hub, BOOKINGS_JOB).counts["written"] == 1
    with gate_hub.db.reading() as s:  # LDV: the customer of the booking kept has a record of the job's
        person = s.scalars(select(AuditRecord).where(AuditRecord.action == f"job:{BOOKINGS_JOB}: subject")).one()
        assert person.data_subject_id_type in {"BSN", "KVK"} and person.data_subject_id
    clock.at += timedelta(days=1)
    assert scan(client, code("MS-13"))["decision"] == "allow"
    register.down = True
    with pytest.raises(TransientError):
        run_job(gate_hub, BOOKINGS_JOB)
    assert scan(client, code("MS-13"))["decision"] == "allow"  # the gate keeps answering from its own store
    register.down = False
    clock.at += timedelta(days=400)  # past retention (30 days) and into another calendar year
    flush_scans(gate_hub)  # the deny and the retry's allow are written by the scan log's thread
    assert run_job(gate_hub, BOOKINGS_JOB).counts == {"read": 0, "written": 0, "purged": 1, "scansPurged": 3,
                                                      "visitsPurged": 1}


def test_scans_racing_past_each_other_still_record_one_visit(client: TestClient, gate_hub: Hub,
                                                             register: FakeRegister, clock: Clock,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate index has not seen the visit (another process stored it): the group commit decides on the store."""
    from flows.waste_depot.index import GateIndex

    book(gate_hub, register, "MS-14")
    real = GateIndex.facts

    def before_the_other_commits(self: GateIndex, *args: Any) -> Any:
        booking, _, pass_, card = real(self, *args)
        return booking, None, pass_, card

    monkeypatch.setattr(GateIndex, "facts", before_the_other_commits)
    assert scan(client, code("MS-14"))["visitsLeft"] == 9
    clock.at += timedelta(seconds=10)
    assert scan(client, code("MS-14"))["decision"] == "allow"  # the same gate: its retry
    assert scan(client, code("MS-14"), gate="gate-2", headers=GATE2)["reason"] == "already-used"
    assert visits_and_events(gate_hub) == (1, 1)


def test_console_shows_todays_scans_in_dutch_and_english(client: TestClient, gate_hub: Hub,
                                                         register: FakeRegister) -> None:
    from tests.integration.test_console_routes import login

    book(gate_hub, register, "MS-15")
    scan(client, code("MS-15"))
    scan(client, code("MS-15"), gate="gate-2", headers=GATE2)
    scan(client, "MS1-NOTACODE")
    assert client.get("/console/waste-depot", follow_redirects=False).status_code == 303  # login first
    login(client, "test-token-0123456789")
    nl = client.get("/console/waste-depot")
    assert nl.status_code == 200
    assert "3 scan(s), waarvan 1 toegelaten." in nl.text and "Al gebruikt" in nl.text and "Onbekende code" in nl.text
    assert nl.text.count('data-reason="already-used"') == 2  # the summary row and the scan row
    assert "MS-15" in nl.text and "MP-0001" not in nl.text and "Dijk" not in nl.text
    en = client.get("/console/waste-depot?lang=en")
    assert "3 scan(s), 1 allowed." in en.text and "Already used" in en.text
    other_day = client.get("/console/waste-depot?day=2027-05-31")
    assert "Geen scans op deze dag." in other_day.text or "No scans on this day." in other_day.text
    assert client.get("/console/waste-depot?day=yesterday").status_code == 400


def test_a_drop_without_valid_rows_keeps_the_previous_list(client: TestClient, gate_hub: Hub,
                                                           register: FakeRegister, clock: Clock) -> None:
    drop = Path(gate_hub.settings.waste_depot.passes.folder)
    (drop / "milieupassen_20270601T120000.csv").write_text("pasnummer;status\nMP-0001;onleesbaar\n", encoding="utf-8")
    clock.at += timedelta(minutes=5)
    with pytest.raises(Exception, match="no valid row"):
        run_job(gate_hub, PASSES_JOB)
    book(gate_hub, register, "MS-30")
    assert scan(client, code("MS-30"))["decision"] == "allow"  # the previous list still answers
    ready = client.get("/api/v1/waste-depot/health/ready", headers=GATE1).json()
    assert ready["passes"]["count"] == 4 and ready["passes"]["status"] == "fresh"
    assert ready["passes"]["ageSeconds"] == 300  # the last good list's age, not the failed run's


@pytest.mark.parametrize(("local_start", "opens_utc", "shown"), [
    (datetime(2027, 3, 28, 3, 30, tzinfo=AMS), datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "01:30"),  # spring
    # autumn: 02:30 the second time (CET) opens at 02:30 the first time (CEST), one real hour earlier
    (datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=AMS), datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "02:30"),
])
def test_dst_nights_through_the_api(client: TestClient, gate_hub: Hub, register: FakeRegister, clock: Clock,
                                    local_start: datetime, opens_utc: datetime, shown: str) -> None:
    """Stored and compared in UTC: the window opens one real hour before, whatever the clocks do that night."""
    book(gate_hub, register, "MS-40", start=local_start.astimezone(UTC))
    clock.at = opens_utc - timedelta(minutes=1)
    early = scan(client, code("MS-40"))
    assert early["reason"] == "too-early" and early["message"] == f"U bent te vroeg. Toegang vanaf {shown}."
    clock.at = opens_utc
    assert scan(client, code("MS-40"))["decision"] == "allow"


def deliveries_of(hub: Hub, appointment_id: str) -> list[str]:
    """The flows that got a delivery of this appointment's events, oldest first."""
    with hub.db.reading() as s:
        return list(s.scalars(select(Delivery.flow).join(InboxEvent, Delivery.inbox_id == InboxEvent.id)
                              .where(InboxEvent.subject == appointment_id).order_by(Delivery.id)))


def test_a_code_the_poller_reads_during_the_scan_is_not_unknown(client: TestClient, gate_hub: Hub,
                                                                register: FakeRegister,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The race seen under load: the scan misses the code in the index, the poller then reads it, and the scan's
    own read finds nothing new; the scan must still find the booking (it answered `unknown-code`)."""
    assert scan(client, code("A-OTHER"))["reason"] == "unknown-code"  # the index is loaded
    book(gate_hub, register, "A-RACE")
    index = index_of(gate_hub)
    real_sync = index.sync

    def poller_read_it_first() -> bool:
        real_sync()  # the poller's read, between the scan's lookup and its own read
        return real_sync()

    monkeypatch.setattr(index, "sync", poller_read_it_first)
    check = AccessCheck(qr_code=code("A-RACE"), gate_id="gate-1", pass_number="MP-0001")
    decided = decide_scan(gate_hub, check, START)
    assert not isinstance(decided, AccessAnswer) or decided.reason != "unknown-code"


def test_only_events_that_concern_a_depot_get_a_bookings_delivery(client: TestClient, gate_hub: Hub,
                                                                  register: FakeRegister) -> None:
    book(gate_hub, register, "A-ELSEWHERE", location="LOC-STADHUIS")
    book(gate_hub, register, "A-ELSEWHERE", version=2, kind="rescheduled", location="LOC-STADHUIS")
    assert deliveries_of(gate_hub, "A-ELSEWHERE") == []
    assert scan(client, code("A-ELSEWHERE"))["reason"] == "unknown-code"

    book(gate_hub, register, "A-DEPOT")
    assert deliveries_of(gate_hub, "A-DEPOT") == ["waste_depot_bookings"]
    # Moved away from the depot: decided from the event alone, no delivery (and no store read at intake); the
    # admission reads the newest snapshot the hub received and denies it.
    book(gate_hub, register, "A-DEPOT", version=2, kind="rescheduled", location="LOC-STADHUIS")
    assert deliveries_of(gate_hub, "A-DEPOT") == ["waste_depot_bookings"]
    assert scan(client, code("A-DEPOT"))["reason"] == "wrong-location"
    assert visits_and_events(gate_hub) == (0, 0)


def test_a_move_away_before_the_booking_is_stored_still_reaches_the_flow(client: TestClient, gate_hub: Hub,
                                                                          register: FakeRegister) -> None:
    for version, location in ((1, LOC), (2, "LOC-STADHUIS")):
        kind = "booked" if version == 1 else "rescheduled"
        raw = cloudevent(kind, "A-RACE", version, location={"id": location, "name": "Ergens"}, start=START)
        gate_hub.intake.accept([parse_event(raw)], "tip")  # neither processed yet
    assert deliveries_of(gate_hub, "A-RACE") == ["waste_depot_bookings"]
    run_open_deliveries(gate_hub)
    assert scan(client, code("A-RACE"))["reason"] == "wrong-location"
    # and a cancellation still waiting in the inbox is read the same way
    book(gate_hub, register, "A-LATE")
    gate_hub.intake.accept([parse_event(cloudevent("cancelled", "A-LATE", 2, location={"id": LOC}, start=START))],
                           "tip")
    assert scan(client, code("A-LATE"))["reason"] == "cancelled"


def test_denials_are_written_off_the_request_path_and_survive_a_store_error(
        client: TestClient, gate_hub: Hub, register: FakeRegister, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.store import waste_depot as store

    book(gate_hub, register, "MS-21")
    assert scan(client, code("MS-21"))["decision"] == "allow"  # the visit: written before the answer
    real = store.record_scans
    failures: list[int] = []

    def flaky(db: Any, rows: Any) -> None:
        if not failures:
            failures.append(len(rows))
            raise OSError("store unavailable")
        real(db, rows)

    def no_sync_write(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a scan without a new visit wrote on the request path")

    monkeypatch.setattr(store, "record_scans", flaky)
    monkeypatch.setattr(store, "admit", no_sync_write)
    assert scan(client, code("MS-21"))["reason"] == "ok"  # the same gate's retry: same allow, no new visit
    assert scan(client, code("MS-21"), gate="gate-2", headers=GATE2)["reason"] == "already-used"
    assert scan(client, "not-a-code")["reason"] == "unknown-code"
    assert scan_log_of(gate_hub).flush()
    assert failures  # the first batch failed and was retried
    with gate_hub.db.reading() as s:
        reasons = sorted(s.scalars(select(WasteDepotScan.reason)))
        audits = s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "waste-depot-access-check"))
    assert reasons == ["already-used", "ok", "ok", "unknown-code"]
    assert audits == 4
    assert visits_and_events(gate_hub) == (1, 1)


ROOT = Path(__file__).resolve().parents[2]


def other_process(hub: Hub, *args: str) -> str:
    """Run tests/support/gate_process.py on the hub's store; its last line of output."""
    done = subprocess.run([sys.executable, "-m", "tests.support.gate_process", hub.settings.database_url, *args],
                          capture_output=True, text=True, check=True, cwd=ROOT, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_a_booking_changed_or_cancelled_in_another_process_is_seen(client: TestClient, gate_hub: Hub,
                                                                   register: FakeRegister, clock: Clock) -> None:
    book(gate_hub, register, "MS-50", start=START + timedelta(hours=3))
    book(gate_hub, register, "MS-51")
    assert scan(client, code("MS-50"))["reason"] == "too-early"  # decided in memory: nothing goes to the store
    index = index_of(gate_hub)
    at = START.astimezone(UTC).isoformat()

    # Another process moves MS-50 into the window and cancels MS-51: the index's poller reads both.
    seq = int(other_process(gate_hub, "book", "MS-50", LOC, "booked", "2", at, "MS-51", LOC, "cancelled", "2", at))
    assert index.wait_for(seq, timeout=30)
    booking = index.facts(code("MS-51"), None, 2027)[0]
    assert booking is not None and booking.status == "cancelled"
    assert scan(client, code("MS-51"))["reason"] == "cancelled"
    assert scan(client, code("MS-50"))["decision"] == "allow"  # a stale index would say too-early, from memory


def test_an_unknown_code_makes_the_index_read_what_changed_before_it_answers(
        client: TestClient, gate_hub: Hub, register: FakeRegister, settings: Any) -> None:
    gate_hub.settings.waste_depot.index_poll_ms = 60_000  # no poll during this test
    index = index_of(gate_hub)
    elsewhere = Hub(gate_hub.settings, load_flows=False)  # another process's engine and no index of its own
    try:
        seq = gate_process.book(elsewhere, "MS-53", LOC, "booked", 1, START.astimezone(UTC))
    finally:
        elsewhere.close()
    assert index.seq < seq
    assert scan(client, code("MS-53"))["decision"] == "allow"


def test_the_poll_skips_what_this_process_committed_and_reads_what_another_did(
        client: TestClient, gate_hub: Hub, register: FakeRegister, monkeypatch: pytest.MonkeyPatch) -> None:
    gate_hub.settings.waste_depot.index_poll_ms = 60_000  # no poll during this test: each sync is the test's
    book(gate_hub, register, "MS-70")
    book(gate_hub, register, "MS-71")
    index = index_of(gate_hub)
    index.sync()
    reads: list[str] = []
    for name in ("bookings_since", "visits_since"):
        real = getattr(store, name)
        monkeypatch.setattr(store, name, lambda s, seq, real=real, name=name: (reads.append(name), real(s, seq))[1])

    assert scan(client, code("MS-70"))["decision"] == "allow"  # this process's group commit: visit learned
    assert scan(client, code("MS-71"))["decision"] == "allow"
    assert index.sync() is True and reads == []  # two changes, both its own: nothing to read
    with gate_hub.db.reading() as s:
        assert index.seq == store.state(s)[0]

    elsewhere = Hub(gate_hub.settings, load_flows=False)  # another process writes a booking after ours
    try:
        seq = gate_process.book(elsewhere, "MS-72", LOC, "booked", 1, START.astimezone(UTC))
    finally:
        elsewhere.close()
    assert index.sync() is True and reads == ["bookings_since", "visits_since"]
    assert index.seq == seq and index.facts(code("MS-72"), None, START.year)[0] is not None


def test_a_prepared_gate_is_ready_before_its_first_scan_and_the_warm_up_leaves_nothing(
        gate_hub: Hub, register: FakeRegister, monkeypatch: pytest.MonkeyPatch) -> None:
    book(gate_hub, register, "MS-75")
    with gate_hub.db.reading() as s:
        before = (store.state(s), s.scalar(select(func.count()).select_from(WasteDepotScan)),
                  s.scalar(select(func.count()).select_from(AuditRecord)))
    ran: list[int] = []
    real = store._admit_in
    monkeypatch.setattr(store, "_admit_in", lambda *a, **k: (ran.append(len(a[2])), real(*a, **k))[1])
    prepare(gate_hub)
    assert ran == [1]  # the group commit's statements ran once, for one scan of no booking
    assert loaded_index(gate_hub) is not None and loaded_index(gate_hub).facts(code("MS-75"), None, 2027)[0]
    with gate_hub.db.reading() as s:  # rolled back: no change number spent, no scan, no audit line
        after = (store.state(s), s.scalar(select(func.count()).select_from(WasteDepotScan)),
                 s.scalar(select(func.count()).select_from(AuditRecord)))
    assert after == before
    assert "runtime" in vars(gate_hub)  # the broker's client is built before the first visit is queued


class HeldStore:
    """Holds the lock every group commit takes first (the change row; on SQLite the write lock with it)."""

    def __init__(self, hub: Hub) -> None:
        self._conn = hub.db.engine.connect()
        self._tx = self._conn.begin()
        self._conn.execute(text("UPDATE waste_depot_state SET seq = seq WHERE id = 1"))

    def release(self) -> None:
        self._tx.rollback()
        self._conn.close()


def test_first_scans_at_once_are_decided_again_in_one_batch_and_stored_once(
        gate_hub: Hub, register: FakeRegister, clock: Clock, moments: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [f"MS-6{i}" for i in range(11)]
    for appointment_id in ids:
        book(gate_hub, register, appointment_id)
    batches: list[int] = []
    real = store.admit

    def admit(db: Any, scans: Any, *args: Any) -> Any:
        batches.append(len(scans))
        return real(db, scans, *args)

    monkeypatch.setattr(store, "admit", admit)
    index_of(gate_hub)
    held = HeldStore(gate_hub)
    pending = []
    for appointment_id in ids:  # each code scanned twice by gate-1 and once by gate-2, all before any commit
        for gate in ("gate-1", "gate-1", "gate-2"):
            decided = decide_scan(gate_hub, AccessCheck(qr_code=code(appointment_id), gate_id=gate,
                                                        pass_number="MP-0001"))
            assert isinstance(decided, tuple), decided  # the index knows no visit yet: all go to the group commit
            pending.append((appointment_id, gate, decided[0]))
    held.release()
    results = [(appointment_id, gate, future.result(timeout=60)) for appointment_id, gate, future in pending]

    assert sum(batches) == len(pending) and max(batches) > 1  # several scans per transaction
    answers = {(a, g, r.decision.allow, r.decision.reason) for a, g, r in results}
    admitted = [a for a in ids if (a, "gate-1", True, "ok") in answers]
    # MP-0001 has 10 free visits: ten appointments get in (gate-1, and gate-1's retry), the eleventh does not
    assert admitted == ids[:10]
    assert (ids[10], "gate-1", False, "pass-no-credit") in answers
    assert all((a, "gate-2", False, "already-used") in answers for a in admitted)
    left = sorted({r.decision.visits_left for a, g, r in results if r.decision.new_visit})
    assert left == list(range(10))  # each visit counted once, in order, inside the batch
    assert visits_and_events(gate_hub) == (10, 10)
    with gate_hub.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Delivery).join(
            InboxEvent, Delivery.inbox_id == InboxEvent.id).where(InboxEvent.type.like("%waste-depot.visit"))) == 10
        assert s.scalar(select(func.count()).select_from(WasteDepotScan)) == len(pending)


def _post(port: int, code_: str, gate_token: str, gate: str, out: list[Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/waste-depot/access-checks",
                     body=json.dumps({"qrCode": code_, "gateId": gate, "passNumber": "MP-0001"}),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {gate_token}"})
        response = conn.getresponse()
        out.append(json.loads(response.read()))
    except (ConnectionError, http.client.HTTPException) as exc:
        out.append(exc)
    finally:
        conn.close()


def _server(hub: Hub) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.gate_process", hub.settings.database_url,
                             "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    ready, port = proc.stdout.readline().split()
    assert ready == "ready"
    return proc, int(port)


def _stop(proc: subprocess.Popen[str], kill: bool = False) -> None:
    if kill and proc.poll() is None:
        proc.kill()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()
    proc.wait(30)


def test_a_server_killed_mid_batch_answered_none_of_it_and_stored_none_of_it(gate_hub: Hub) -> None:
    """The server runs on the real clock: bookings around now. The pass list comes from the fixture's drop."""
    now = datetime.now(UTC)
    for i in range(4):
        gate_process.book(gate_hub, f"MK-{i}", LOC, "booked", 1, now - timedelta(minutes=5))
    token = "gate-one-token-0123456789"
    proc, port = _server(gate_hub)
    assert proc.stdout is not None
    try:
        first: list[Any] = []
        _post(port, code("MK-0"), token, "gate-1", first)
        assert first[0]["decision"] == "allow" and proc.stdout.readline().startswith("admitting")

        held = HeldStore(gate_hub)
        answers: list[Any] = []
        clients = [threading.Thread(target=_post, args=(port, code(f"MK-{i}"), token, "gate-1", answers))
                   for i in (1, 2, 3)]
        for t in clients:
            t.start()
        assert proc.stdout.readline().startswith("admitting")  # a batch is in its transaction, waiting on the lock
        clients[0].join(3)  # a window for an answer sent before its commit (there must be none)
        assert answers == []
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        held.release()
        for t in clients:
            t.join(60)
        assert len(answers) == 3 and all(isinstance(a, Exception) for a in answers)  # no allow was sent
    finally:
        _stop(proc, kill=True)
    with gate_hub.db.reading() as s:
        visits = sorted(s.scalars(select(WasteDepotVisit.appointment_id)))
        scans = s.scalar(select(func.count()).select_from(WasteDepotScan))
    assert visits == ["MK-0"] and scans == 1  # the admitted one is stored; nothing of the killed batch
    assert visits_and_events(gate_hub) == (1, 1)

    proc, port = _server(gate_hub)  # the gates scan again at a restarted server: each is admitted once
    try:
        again: list[Any] = []
        for i in (1, 2, 3):
            _post(port, code(f"MK-{i}"), token, "gate-1", again)
        assert [a["decision"] for a in again] == ["allow"] * 3
    finally:
        _stop(proc)
    assert visits_and_events(gate_hub) == (4, 4)


def test_gate_answers_carry_what_the_skipped_middleware_adds(gate_hub: Hub, register: FakeRegister,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path runs outside the whole middleware stack: it adds API-Version to every answer, refuses a too
    large Content-Length unread, and answers an unexpected error with a 500 problem (raised for the log)."""
    from hub.api import waste_depot as gate_api

    book(gate_hub, register, "MS-71")
    url = "/api/v1/waste-depot/access-checks"
    body = json.dumps({"qrCode": code("MS-71"), "gateId": "gate-1", "passNumber": "MP-0001"})
    json_head = {"Content-Type": "application/json"}
    with TestClient(create_app(gate_hub), raise_server_exceptions=False) as c:
        answers = [c.post(url, content=body, headers={**json_head, **GATE1}),
                   c.post(url, content=body, headers=json_head),
                   c.post(url, content=body, headers={**json_head, **GATE1,
                                                      "Content-Length": str(gate_hub.settings.max_body_bytes + 1)})]
        assert [a.status_code for a in answers] == [200, 401, 413]
        assert all(a.headers["api-version"] == "1.0.0" for a in answers)

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(gate_api, "check_access_async", broken)
        failed = c.post(url, content=body, headers={**json_head, **GATE1})
        assert failed.status_code == 500 and failed.headers["api-version"] == "1.0.0"
        assert failed.headers["content-type"].startswith("application/problem+json") and "boom" not in failed.text
    with TestClient(create_app(gate_hub)) as c, pytest.raises(RuntimeError, match="boom"):
        c.post(url, content=body, headers={**json_head, **GATE1})


def test_the_gate_route_answers_problems_like_every_route(client: TestClient, gate_hub: Hub, register: FakeRegister,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Served by its pure-ASGI fast path: a chunked body past the limit is a 413, a store that does not answer a
    503 with Retry-After (and no allow), a query string goes to the routers (which refuse it)."""
    from sqlalchemy.exc import OperationalError

    book(gate_hub, register, "MS-70")
    url = "/api/v1/waste-depot/access-checks"
    too_big = (b"x" * 1024 for _ in range(gate_hub.settings.max_body_bytes // 1024 + 2))
    chunked = client.post(url, content=too_big, headers={"Content-Type": "application/json", **GATE1})
    assert chunked.status_code == 413 and chunked.headers["content-type"].startswith("application/problem+json")
    assert chunked.headers["api-version"]

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    monkeypatch.setattr(store, "admit", down)
    body = json.dumps({"qrCode": code("MS-70"), "gateId": "gate-1", "passNumber": "MP-0001"})
    unavailable = client.post(url, content=body, headers={"Content-Type": "application/json", **GATE1})
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"]
    assert visits_and_events(gate_hub) == (0, 0)
    query = client.post(url + "?debug=1", content=body, headers={"Content-Type": "application/json", **GATE1})
    assert query.status_code == 400 and query.json()["type"].endswith("unknown-query-parameter")


def test_the_poll_reads_over_one_kept_connection_and_replaces_a_broken_one(
        gate_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate index's poll (20 a second per serving process) checks no connection out per read; it still sees
    every commit (a SQLite read snapshot ends after each read), and a read that fails gives its connection up."""
    engine = gate_hub.db.reader_engine()
    if engine is None:
        pytest.skip("an in-memory SQLite store is polled through a session: it has no second connection")
    checkouts: list[object] = []

    def checked_out(*_: object) -> None:
        checkouts.append(_)

    event.listen(engine.engine, "checkout", checked_out)
    reader = store.StateReader(gate_hub.db)
    try:
        first = reader.read()
        for _ in range(20):
            assert reader.read() == first
        assert len(checkouts) == 1
        elsewhere = Hub(gate_hub.settings, load_flows=False)  # another process's change
        try:
            seq = gate_process.book(elsewhere, "MS-80", LOC, "booked", 1, START.astimezone(UTC))
        finally:
            elsewhere.close()
        assert reader.read()[0] == seq > first[0]

        def server_gone(*_: object, **__: object) -> None:
            raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

        monkeypatch.setattr(reader._conn, "execute", server_gone)
        with pytest.raises(OperationalError):
            reader.read()
        assert reader._conn is None
        assert reader.read()[0] == seq and len(checkouts) == 2
    finally:
        reader.close()
        event.remove(engine.engine, "checkout", checked_out)


def _writer_statements(hub: Hub, before: Any = None) -> list[str]:
    """The statements the group commit's thread sends from now on (their first words); `before(statement)` runs
    ahead of each."""
    sent: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if threading.current_thread().name == "waste-depot-admissions":
            sent.append(" ".join(statement.split()[:3]))
            if before is not None:
                before(statement)

    event.listen(hub.db.engine, "before_cursor_execute", listen)
    return sent


def _booked_on_postgresql(client: TestClient, gate_hub: Hub, register: FakeRegister, appointment_id: str) -> None:
    """Skip on SQLite (its writes are in-process); else book the appointment, with the index loaded and warm."""
    if gate_hub.db.backend != "postgresql":
        pytest.skip("the batch's writes are one statement on PostgreSQL; SQLite writes in-process")
    book(gate_hub, register, appointment_id)
    assert scan(client, code("A-OTHER"))["reason"] == "unknown-code"  # index loaded, warm-up done


def test_on_postgresql_a_batch_writes_its_visit_delivery_scan_and_audit_in_one_statement(
        client: TestClient, gate_hub: Hub, register: FakeRegister) -> None:
    _booked_on_postgresql(client, gate_hub, register, "MS-91")
    sent = _writer_statements(gate_hub)
    assert scan(client, code("MS-91"))["decision"] == "allow"
    writes = [s for s in sent if not s.startswith("SELECT")]
    assert writes == ["UPDATE waste_depot_state SET", "WITH v AS"]  # the change number, then one for all
    assert deliveries_of(gate_hub, "MS-91")[-1:] == ["waste_depot_visit"]
    with gate_hub.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(WasteDepotScan)
                        .where(WasteDepotScan.appointment_id == "MS-91")) == 1
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "waste-depot-access-check", AuditRecord.outcome == "allow")) == 1


def test_on_postgresql_a_visit_stored_first_by_another_writer_is_decided_again_on_its_row(
        client: TestClient, gate_hub: Hub, register: FakeRegister) -> None:
    _booked_on_postgresql(client, gate_hub, register, "MS-92")
    raced: list[str] = []

    def other_gate_first(statement: str) -> None:
        if statement.startswith("WITH v AS") and not raced:  # after the batch read no visit, before it writes
            raced.append(statement)
            with gate_hub.db.engine.connect() as other:
                other.execute(insert(WasteDepotVisit).values(
                    appointment_id="MS-92", pass_key=pass_key(KEY, "MP-0001"), year=2027, gate_id="gate-2",
                    allowed_at=START, visits_left=9, seq=0))
                other.commit()

    sent = _writer_statements(gate_hub, other_gate_first)
    answer = scan(client, code("MS-92"))
    assert raced
    assert answer["decision"] == "deny" and answer["reason"] == "already-used"
    assert [s for s in sent if not s.startswith("SELECT")] == [
        "UPDATE waste_depot_state SET", "WITH v AS",
        "INSERT INTO waste_depot_visits",  # the other writer's, inside the test's hook
        "UPDATE waste_depot_state SET",  # rolled back: decided again, on the other writer's visit
        'INSERT INTO "waste_depot_scans"', 'INSERT INTO "audit_log"']
    with gate_hub.db.reading() as s:
        visit = s.get(WasteDepotVisit, "MS-92")
        assert visit is not None and visit.gate_id == "gate-2"
        assert s.scalar(select(func.count()).select_from(WasteDepotScan)
                        .where(WasteDepotScan.appointment_id == "MS-92")) == 1
    assert "waste_depot_visit" not in deliveries_of(gate_hub, "MS-92")


def test_a_scan_answered_from_memory_tells_the_group_commit_a_burst_is_still_arriving(
        client: TestClient, gate_hub: Hub, register: FakeRegister, monkeypatch: pytest.MonkeyPatch) -> None:
    book(gate_hub, register, "MS-93")
    assert scan(client, code("MS-93"))["decision"] == "allow"  # a first scan: the group commit is running
    noted: list[bool] = []
    monkeypatch.setattr(admit.Admissions, "note", lambda self: noted.append(True))
    assert scan(client, code("MS-93"))["decision"] == "allow"  # the same gate's retry, answered from memory
    assert scan(client, code("MS-93"), gate="gate-2", headers=GATE2)["reason"] == "already-used"
    assert noted == [True, True]
