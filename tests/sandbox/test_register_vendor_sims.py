"""The jcc-rest and qmatic adapters against their simulators over loopback HTTP, chosen through the vendor registry."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hub.config import Settings
from hub.model import Appointment, AppointmentStatus
from hub.ports.capabilities import Capability
from hub.ports.register import AppointmentRegister
from hub.ports.register_errors import AuthFailedError, NotFoundError, RegisterTransientError, UnexpectedShapeError
from hub.ports.register_vendors import build_register
from sandbox.jcc_rest import JccRestSimulator
from sandbox.qmatic import QmaticSimulator
from sandbox.server import SandboxServer

DAY = Appointment.model_validate({
    "id": "A-1001", "version": 2, "status": "booked", "start": "2027-03-28T09:00:00+02:00",
    "end": "2027-03-28T09:20:00+02:00", "location": {"id": "STW-KP", "name": "Stadswinkel Koningsplein"},
    "products": [{"code": "PASPOORT-AANVRAAG", "name": "Paspoort aanvragen", "quantity": 2}],
    "customer": {"bsn": "999993653", "firstName": "Jan", "lastName": "Dijk", "email": "jan@example.nl"},
    "groupSize": 2, "notes": "balie 3"})


@pytest.fixture
def sims() -> Iterator[tuple[JccRestSimulator, QmaticSimulator]]:
    jcc, qmatic = JccRestSimulator(), QmaticSimulator()
    with SandboxServer(jcc, qmatic):
        yield jcc, qmatic


def registers(jcc: JccRestSimulator, qmatic: QmaticSimulator, *, jcc_secret: str | None = None,
              qmatic_key: str | None = None) -> dict[str, AppointmentRegister]:
    """Both adapters as the hub builds them: `AFSPRAKENHUB_REGISTER__VENDOR` and each vendor's section."""
    settings = Settings(register={"vendor": "jcc-rest", "jcc_rest": {**jcc.hub_settings(), "max_retries": 1},
                                  "qmatic": {**qmatic.hub_settings(), "max_retries": 1}})
    return {"jcc-rest": build_register(settings, overrides={"client_secret": jcc_secret}),
            "qmatic": build_register(settings, "qmatic", overrides={"api_key": qmatic_key})}


def test_read_cancel_and_catalogue_over_http(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    jcc, qmatic = sims
    for sim in sims:
        sim.put_appointment(DAY)
    for vendor, register in registers(jcc, qmatic).items():
        register.authenticate()
        read = register.get_appointment("A-1001")
        assert read.start == DAY.start and read.start.utcoffset() is not None  # the day DST starts
        assert read.products[0].quantity == 2 and read.group_size == 2, vendor
        assert [loc.id for loc in register.list_locations()] == ["STW-KP"]
        assert [p.code for p in register.list_products()] == ["PASPOORT-AANVRAAG"]
        assert register.cancel_appointment("A-1001").status == AppointmentStatus.CANCELLED
        with pytest.raises(NotFoundError):
            register.get_appointment("A-1001")
        register.close()
    assert jcc.appointment_status("A-1001") == qmatic.appointment_status("A-1001") == AppointmentStatus.CANCELLED
    assert jcc.appointment_status("never") is None


def test_create_and_qr_code(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    jcc, qmatic = sims
    jcc.add_location("STW-KP", "Stadswinkel Koningsplein")
    jcc.add_activity("PASPOORT-AANVRAAG", "Paspoort aanvragen")
    qmatic.add_branch("STW-KP", "Stadswinkel Koningsplein")
    qmatic.add_service("PASPOORT-AANVRAAG", "Paspoort aanvragen", duration=10, additional_customer_duration=10)
    built = registers(jcc, qmatic)
    jcc_register, qmatic_register = built["jcc-rest"], built["qmatic"]
    made = jcc_register.create_appointment(DAY)
    assert made.id != DAY.id and len(made.id) == 36 and made.start == DAY.start and made.group_size == 2
    assert Capability.QR_CODE in jcc_register.capabilities and Capability.CREATE in qmatic_register.capabilities
    assert jcc_register.qr_code(made.id).data.decode() == jcc.qr_code_of(made.id)
    booked = qmatic_register.create_appointment(DAY)
    assert len(booked.id) >= 30 and booked.start == DAY.start
    assert (booked.end - booked.start).total_seconds() == 20 * 60  # 10 + 10 for the second customer
    assert [c.path for c in qmatic.calls.find("POST")] == [
        "/calendar-backend/public/api/v2/branches/STW-KP/dates/2027-03-28/times/09:00/book"]


def test_bad_credentials_are_auth_failures(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    jcc, qmatic = sims
    built = registers(jcc, qmatic, jcc_secret="wrong", qmatic_key="wrong")
    with pytest.raises(AuthFailedError, match="register jcc-rest token failed: 400 invalid_client"):
        built["jcc-rest"].authenticate()
    with pytest.raises(AuthFailedError, match="register qmatic branches failed: 401 Unauthorized"):
        built["qmatic"].authenticate()
    assert all(c.status in (400, 401) for c in [*jcc.calls.all(), *qmatic.calls.all()])
    assert "wrong" not in str(jcc.calls.all()) + str(qmatic.calls.all())


def test_unexpected_shape_names_the_field(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    jcc, qmatic = sims
    jcc.put_appointment(DAY)
    jcc.appointments["A-1001"].body["activityList"][0]["amount"] = "two"
    with pytest.raises(UnexpectedShapeError) as caught:
        registers(jcc, qmatic)["jcc-rest"].get_appointment("A-1001")
    assert caught.value.field == "activityList[0].amount"
    qmatic.put_appointment(DAY)
    qmatic.branches["STW-KP"]["timeZone"] = "Nowhere/Special"
    with pytest.raises(UnexpectedShapeError) as zone:
        registers(jcc, qmatic)["qmatic"].get_appointment("A-1001")
    assert zone.value.field == "branch.timeZone"


def test_expired_token_and_transient_faults(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    jcc, qmatic = sims
    jcc.put_appointment(DAY)
    register = registers(jcc, qmatic)["jcc-rest"]
    register.get_appointment("A-1001")
    jcc.revoke_tokens()
    assert register.get_appointment("A-1001").id == "A-1001"  # 401, one new token, the call again
    assert len(jcc.calls.find("POST", "/api/warp/v1/connect/token")) == 2
    jcc.set_faults(fail_next=[503])
    assert register.get_appointment("A-1001").id == "A-1001"  # retried in-process
    jcc.set_faults(fail_next=[503, 503])
    with pytest.raises(RegisterTransientError, match="503"):
        register.get_appointment("A-1001")


def test_seeding_endpoint_for_the_demo(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    for sim in sims:
        answer = httpx.post(f"{sim.base_url}/_sandbox/appointments", json=[DAY.wire()])
        assert answer.json() == {"stored": 1}
        assert httpx.post(f"{sim.base_url}/_sandbox/appointments", json=[{"id": "x"}]).status_code == 400
        held = httpx.get(f"{sim.base_url}/_sandbox/appointments").json()
        assert [h["cancelled"] for h in held] == [False]
        assert not sim.calls.all()  # control endpoints are not in the call log


def test_sandbox_serve_offers_both_vendor_registers_with_a_catalogue() -> None:
    from sandbox.cli import build_server

    server = build_server()
    by_name = {sim.name: sim for sim in server.simulators.values()}
    assert {"register", "jcc-rest", "qmatic"} <= set(by_name)
    jcc, qmatic = by_name["jcc-rest"], by_name["qmatic"]
    assert isinstance(jcc, JccRestSimulator) and isinstance(qmatic, QmaticSimulator)
    catalogued = JccRestSimulator(), QmaticSimulator()
    for sim in catalogued:
        sim.seed_example()
    with SandboxServer(*catalogued):
        built = registers(*catalogued)
        locations = built["jcc-rest"].list_locations()
        assert [loc.name for loc in locations] == ["Stadswinkel Koningsplein", "Milieustraat Tilburg"]
        assert len(locations[0].id) == 36  # a GUID
        assert len(built["qmatic"].list_products()) == 2


def test_vendor_calls_carry_the_current_trace_context(sims: tuple[JccRestSimulator, QmaticSimulator]) -> None:
    """Each adapter's requests (the JCC token call included) send the delivery's trace id, one span per call."""
    from hub import tracing

    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    jcc, qmatic = sims
    adapters = registers(jcc, qmatic)
    with tracing.span_in("deliver test", parent=f"00-{trace}-00f067aa0ba902b7-01"):
        for adapter in adapters.values():
            adapter.list_locations()
    for adapter in adapters.values():
        adapter.close()
    for sim in (jcc, qmatic):
        sent = [next((v for k, v in c.headers.items() if k.lower() == "traceparent"), None) for c in sim.calls.all()]
        assert sent and all(s is not None and s.split("-")[1] == trace for s in sent), (type(sim).__name__, sent)
        assert len({s.split("-")[2] for s in sent if s}) == len(sent)  # a span of its own per call
