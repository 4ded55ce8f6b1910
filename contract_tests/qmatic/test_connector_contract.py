"""The qmatic adapter and the Qmatic simulator against the Qmatic Calendar public API's documented shapes.

Offline: the adapter talks to respx answering with our fixtures (written from Qmatic's public shapes), and
every request it sends and answer it reads is checked against `qmatic-calendar-subset.yaml`. The same
document checks the loopback simulator.
"""

from __future__ import annotations

import httpx
import pytest
import respx

from connectors.qmatic.adapter import QmaticRegister
from connectors.qmatic.settings import QmaticSettings
from contract_tests.jcc_rest.conftest import Recorder
from contract_tests.openapi_check import ContractViolation, OpenApiContract
from contract_tests.qmatic.conftest import BASE_URL, SPEC, fixture, recording_register
from hub.model import Appointment, AppointmentStatus
from hub.ports.register_errors import RegisterTransientError
from sandbox.qmatic import QmaticSimulator
from sandbox.server import SandboxServer

PUBLIC_ID = "d50517a0ae88cdbc495f7a32e011cb8a4f"
BRANCH = "f364d92b7fa07a48c4ecc862de30c475"
SCHEMAS = {"branches": "BranchList", "branch": "BranchEnvelope", "services": "ServiceList",
           "appointment": "AppointmentEnvelope", "book": "Appointment"}


def _qmatic(router: respx.MockRouter) -> None:
    router.get("/v1/branches").respond(200, json=fixture("branches"))
    router.get(f"/v1/branches/{BRANCH}").respond(200, json=fixture("branch"))
    router.get("/v1/services").respond(200, json=fixture("services"))
    router.get(f"/v1/appointments/{PUBLIC_ID}").respond(200, json=fixture("appointment"))
    router.delete(f"/v1/appointments/{PUBLIC_ID}").respond(204)
    router.post(url__regex=rf".*/v2/branches/{BRANCH}/dates/.*/book$").respond(200, json=fixture("book"))


def test_the_fixtures_fit_the_contract(contract: OpenApiContract) -> None:
    for name, schema in SCHEMAS.items():
        assert contract.component_errors(schema, fixture(name)) == [], name


def test_every_call_the_adapter_makes_is_in_the_contract(contract: OpenApiContract,
                                                          recorded: tuple[QmaticRegister, Recorder]) -> None:
    register, recorder = recorded
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        _qmatic(router)
        register.authenticate()
        assert [b.id for b in register.list_locations()] == [BRANCH]
        assert len(register.list_products()) == 2
        appointment = register.get_appointment(PUBLIC_ID)
        created = register.create_appointment(appointment)
        cancelled = register.cancel_appointment(PUBLIC_ID)
    assert recorder.check(contract) == 8
    book = next(q for q, _ in recorder.exchanges if q.method == "POST")
    # 09:00 in Amsterdam in winter: the path names the branch's wall-clock time, the answer is in UTC (+0000)
    assert book.url.path.endswith(f"/v2/branches/{BRANCH}/dates/2027-03-01/times/09:00/book")
    assert all(q.headers["X-Api-Key"] == "sandbox-key" for q, _ in recorder.exchanges)
    assert created.start.isoformat() == "2027-03-01T09:00:00+01:00" and created.group_size == 2
    assert cancelled.status == AppointmentStatus.CANCELLED


def test_the_contract_catches_an_offset_in_the_booking_path(contract: OpenApiContract) -> None:
    request = httpx.Request("POST", f"{BASE_URL}/v2/branches/{BRANCH}/dates/2027-03-01/times/09:00+01:00/book",
                            json={"title": "t", "customers": [{}], "services": [{"publicId": "s"}]},
                            headers={"X-Api-Key": "k"})
    with pytest.raises(ContractViolation, match="time"):
        contract.check_request(request)


def test_a_500_names_its_reason_from_the_error_message_header(recorded: tuple[QmaticRegister, Recorder]) -> None:
    register, _ = recorded
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get(f"/v1/appointments/{PUBLIC_ID}").respond(500, headers={"error_message": "Database unavailable"})
        with pytest.raises(RegisterTransientError, match="500 Database unavailable"):
            register.get_appointment(PUBLIC_ID)


def test_the_simulator_answers_within_the_contract() -> None:
    sim = QmaticSimulator()
    sim.add_branch(BRANCH, "Stadswinkel Koningsplein", street="Koningsplein 1", postal_code="5038 WG", city="Tilburg")
    sim.add_service("54b3482204c11bedc8b0a7acbffa3081", "Paspoort aanvragen", duration=10,
                    additional_customer_duration=5)
    seeded = Appointment.model_validate({
        "id": PUBLIC_ID, "version": 1, "status": "booked", "start": "2027-10-31T09:00:00+01:00",
        "end": "2027-10-31T09:20:00+01:00", "location": {"id": BRANCH, "name": "KP"},
        "products": [{"code": "54b3482204c11bedc8b0a7acbffa3081", "name": "Paspoort", "quantity": 2}],
        "customer": {"firstName": "Jan", "lastName": "Dijk", "birthDate": "1980-01-28"}, "groupSize": 2})
    with SandboxServer(sim):
        sim.put_appointment(seeded)
        contract = OpenApiContract.load(SPEC, sim.api_url)
        register, recorder, http = recording_register(QmaticSettings(**sim.hub_settings()))
        with http:
            register.authenticate()
            register.list_locations()
            register.list_products()
            read = register.get_appointment(PUBLIC_ID)
            created = register.create_appointment(seeded)
            register.cancel_appointment(created.id)
            http.get(f"{sim.api_url}/v1/appointments/unknown", headers={"X-Api-Key": sim.api_key})
        assert recorder.check(contract) == 9
    assert read.customer is not None and read.customer.birth_date is not None
    assert read.customer.birth_date.isoformat() == "1980-01-28"
    # the day DST ends: 09:00 is +01:00 again; two customers, 10 + 5 minutes
    assert created.start.isoformat() == "2027-10-31T09:00:00+01:00"
    assert created.end.isoformat() == "2027-10-31T09:15:00+01:00"
    assert len(created.id) >= 30 and sim.appointment_status(created.id) == AppointmentStatus.CANCELLED
