"""The waste-depot gate end to end through the HTTP API: bookings from events, the pass list from a CSV drop,
every reason code, gate credentials, retries that never make a second visit, a register that is down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from connectors.passes import PassListSettings
from connectors.register import ConflictError
from flows.waste_depot import visit as visit_flow
from flows.waste_depot.codes import pass_key, signed_code
from flows.waste_depot.jobs import BOOKINGS_JOB, PASSES_JOB
from flows.waste_depot.scan_log import flush_scans, scan_log_of
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.delivery import DeliveryProcessor
from hub.errors import TransientError
from hub.model import Appointment, AppointmentStatus, parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.scheduler import run_job
from hub.settings import Settings
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent
from hub.store.waste_depot_tables import WasteDepotScan, WasteDepotVisit
from hub.waste_depot_settings import WasteDepotSettings
from tests.conftest import AUTH
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
    clock.at += timedelta(days=1)
    assert scan(client, code("MS-13"))["decision"] == "allow"
    register.down = True
    with pytest.raises(TransientError):
        run_job(gate_hub, BOOKINGS_JOB)
    assert scan(client, code("MS-13"))["decision"] == "allow"  # the gate keeps answering from its own store
    register.down = False
    clock.at += timedelta(days=400)  # past retention (30 days) and into another calendar year
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


def test_only_events_that_concern_a_depot_get_a_bookings_delivery(client: TestClient, gate_hub: Hub,
                                                                  register: FakeRegister) -> None:
    book(gate_hub, register, "A-ELSEWHERE", location="LOC-STADHUIS")
    book(gate_hub, register, "A-ELSEWHERE", version=2, kind="rescheduled", location="LOC-STADHUIS")
    assert deliveries_of(gate_hub, "A-ELSEWHERE") == []
    assert scan(client, code("A-ELSEWHERE"))["reason"] == "unknown-code"

    book(gate_hub, register, "A-DEPOT")
    assert deliveries_of(gate_hub, "A-DEPOT") == ["waste_depot_bookings"]
    # Moved away from the depot: the event is not at a depot, but the hub keeps a booking of it.
    book(gate_hub, register, "A-DEPOT", version=2, kind="rescheduled", location="LOC-STADHUIS")
    assert deliveries_of(gate_hub, "A-DEPOT") == ["waste_depot_bookings"] * 2
    assert scan(client, code("A-DEPOT"))["reason"] == "wrong-location"


def test_a_move_away_before_the_booking_is_stored_still_reaches_the_flow(client: TestClient, gate_hub: Hub,
                                                                          register: FakeRegister) -> None:
    for version, location in ((1, LOC), (2, "LOC-STADHUIS")):
        kind = "booked" if version == 1 else "rescheduled"
        raw = cloudevent(kind, "A-RACE", version, location={"id": location, "name": "Ergens"}, start=START)
        gate_hub.intake.accept([parse_event(raw)], "tip")  # neither processed yet
    assert deliveries_of(gate_hub, "A-RACE") == ["waste_depot_bookings"] * 2
    run_open_deliveries(gate_hub)
    assert scan(client, code("A-RACE"))["reason"] == "wrong-location"


def test_denials_are_written_off_the_request_path_and_survive_a_store_error(
        client: TestClient, gate_hub: Hub, register: FakeRegister, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.waste_depot import store

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
