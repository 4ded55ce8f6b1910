"""The jcc-rest adapter and the JCC simulator against JCC G-Plan's documented warp v1 shapes.

Offline: the adapter talks to respx answering with our fixtures (written from JCC's public shapes), and every
request it sends and answer it reads is checked against `jcc-warp-v1-subset.yaml`. The same document checks
the loopback simulator, so client, fixtures and simulator keep to one description of JCC.
"""

from __future__ import annotations

import httpx
import pytest
import respx

from connectors.jcc_rest.adapter import JccRestRegister
from connectors.jcc_rest.settings import JccRestSettings
from contract_tests.jcc_rest.conftest import BASE_URL, SPEC, Recorder, fixture, recording_register
from contract_tests.openapi_check import ContractViolation, OpenApiContract
from hub.model import Appointment, AppointmentStatus
from hub.ports.register_errors import RegisterPermanentError
from sandbox.jcc_rest import JccRestSimulator
from sandbox.server import SandboxServer

APPOINTMENT_ID = "5bdfc8fb-eba8-4050-9b8c-28e79f65e436"
SCHEMAS = {"locations": None, "activities": None, "appointment": "Appointment", "create_ok": "Acknowledge",
           "create_refused": "Acknowledge", "cancel_ok": "Acknowledge", "cancel_refused": "Acknowledge",
           "token": "Token", "error_500": "Problem", "version": "Version"}


def _jcc(router: respx.MockRouter) -> None:
    router.post("/connect/token").respond(200, json=fixture("token"))
    router.get("/location").respond(200, json=fixture("locations"))
    router.get("/activity/listforappointment").respond(200, json=fixture("activities"))
    router.get("/appointment/qrcode").respond(200, json=fixture("qrcode"))
    router.get("/appointment").respond(200, json=fixture("appointment"))
    router.post("/appointment").respond(200, json=fixture("create_ok"))
    router.delete("/appointment").respond(200, json=fixture("cancel_ok"))


def test_the_fixtures_fit_the_contract(contract: OpenApiContract) -> None:
    for name, schema in SCHEMAS.items():
        if schema is not None:
            assert contract.component_errors(schema, fixture(name)) == [], name
    for item in fixture("locations"):
        assert contract.component_errors("Location", item) == []
    for item in fixture("activities"):
        assert contract.component_errors("Activity", item) == []


def test_every_call_the_adapter_makes_is_in_the_contract(contract: OpenApiContract,
                                                          recorded: tuple[JccRestRegister, Recorder]) -> None:
    register, recorder = recorded
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        _jcc(router)
        register.authenticate()
        assert register.list_locations()[0].id == "f3b8864b-2e08-4d01-99db-e36f49f3e19c"
        assert {p.code for p in register.list_products()} >= {"6063baab-b077-4eaf-8671-98394793724c"}
        appointment = register.get_appointment(APPOINTMENT_ID)
        assert register.qr_code(APPOINTMENT_ID).data == b"71b71992263966"
        created = register.create_appointment(appointment)
        cancelled = register.cancel_appointment(APPOINTMENT_ID)
    assert created.id == APPOINTMENT_ID  # read back after the create (the fixture's GET)
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert recorder.check(contract) == 9
    token_call = recorder.exchanges[0][0]
    assert token_call.headers["Authorization"].startswith("Basic ")
    assert b"scope=warp-api" in token_call.content


def test_the_contract_refuses_an_offset_in_a_created_time(contract: OpenApiContract) -> None:
    body = {"id": None, "activityList": [{"activityId": "a", "amount": 1}],
            "customerList": [{"id": None, "isMainCustomer": True, "gender": 0}], "locationId": "l",
            "fromDateTime": "2027-03-01T09:00:00+01:00", "toDateTime": "2027-03-01T09:15:00", "fieldList": None}
    request = httpx.Request("POST", f"{BASE_URL}/appointment", json=body,
                            headers={"Authorization": "Bearer t", "language": "nl"})
    with pytest.raises(ContractViolation, match="fromDateTime"):
        contract.check_request(request)


@pytest.mark.parametrize(("fixture_name", "call"), [("create_refused", "create"), ("cancel_refused", "cancel")])
def test_a_refusal_inside_a_200_is_a_permanent_error(recorded: tuple[JccRestRegister, Recorder],
                                                      fixture_name: str, call: str) -> None:
    register, _ = recorded
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        _jcc(router)
        router.post("/appointment").respond(200, json=fixture(fixture_name))
        router.delete("/appointment").respond(200, json=fixture(fixture_name))
        appointment = register.get_appointment(APPOINTMENT_ID)
        with pytest.raises(RegisterPermanentError, match="refused with code"):
            if call == "create":
                register.create_appointment(appointment)
            else:
                register.cancel_appointment(APPOINTMENT_ID)


def test_the_simulator_answers_within_the_contract() -> None:
    sim = JccRestSimulator()
    seeded = Appointment.model_validate({
        "id": APPOINTMENT_ID, "version": 1, "status": "booked", "start": "2027-03-01T09:00:00+01:00",
        "end": "2027-03-01T09:40:00+01:00", "location": {"id": "f3b8864b-2e08-4d01-99db-e36f49f3e19c", "name": "KP"},
        "products": [{"code": "6063baab-b077-4eaf-8671-98394793724c", "name": "Paspoort", "quantity": 2}],
        "customer": {"firstName": "Jan", "lastName": "Dijk", "bsn": "999993653"}, "groupSize": 2})
    with SandboxServer(sim):
        sim.put_appointment(seeded)
        contract = OpenApiContract.load(SPEC, sim.api_url)
        register, recorder, http = recording_register(JccRestSettings(**sim.hub_settings()))
        with http:
            register.authenticate()
            register.list_locations()
            register.list_products()
            assert register.get_appointment(APPOINTMENT_ID).products[0].quantity == 2
            register.qr_code(APPOINTMENT_ID)
            created = register.create_appointment(seeded)
            register.cancel_appointment(created.id)
            http.get(f"{sim.api_url}/appointment", params={"id": "unknown"},
                     headers={"Authorization": f"Bearer {register.client.token()}", "language": "nl"})
        assert recorder.check(contract) == 10
    assert sim.appointment_status(created.id) == AppointmentStatus.CANCELLED


def test_the_simulator_keeps_jccs_lost_offset_quirk() -> None:
    """A time sent WITH an offset is shifted (JCC drops the offset after converting to UTC): why we never send one."""
    sim = JccRestSimulator()
    sim.add_location("loc", "KP")
    sim.add_activity("act", "Paspoort")
    with SandboxServer(sim):
        register, _, http = recording_register(JccRestSettings(**sim.hub_settings()))
        with http:
            token = register.client.token()
            answer = http.post(f"{sim.api_url}/appointment", headers={"Authorization": f"Bearer {token}"}, json={
                "id": None, "activityList": [{"activityId": "act", "amount": 1}],
                "customerList": [{"id": None, "isMainCustomer": True, "gender": 0, "lastName": "Dijk"}],
                "fromDateTime": "2027-06-01T11:50:00+02:00", "toDateTime": "2027-06-01T12:05:00+02:00",
                "locationId": "loc", "message": "", "fieldList": None})
            assert answer.json()["acknowledgeIsSuccess"] is True
            stored = register.get_appointment(answer.json()["id"])
    assert stored.start.isoformat() == "2027-06-01T09:50:00+02:00"
