"""The Klantinteracties connector and the hub's klantcontact bodies against the API's documented shapes.

Every request the connector sends and every answer it reads is checked against
`klantinteracties-subset.yaml` (our trimmed copy of the Open Klant OpenAPI), offline with respx.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from connectors.klantinteracties import KlantinteractiesClient, KlantinteractiesSettings
from contract_tests.openapi_check import ContractViolation, OpenApiContract
from hub.errors import PermanentError, TransientError
from hub.model import Appointment
from mappings.klantinteracties import AppointmentIdentity, klantcontact, maak_klantcontact
from mappings.salesforce import moments_for

SPEC = Path(__file__).with_name("klantinteracties-subset.yaml")
BASE = "http://127.0.0.1:8701/klantinteracties/api/v1"
CONTRACT = OpenApiContract.load(SPEC, BASE)
APPOINTMENT = {
    "id": "A-1", "version": 2, "status": "no_show", "start": "2027-03-01T09:00:00+01:00",
    "end": "2027-03-01T09:15:00+01:00", "location": {"id": "STW-KP", "name": "Stadswinkel Koningsplein"},
    "channel": "phone", "products": [{"code": "P", "name": "Paspoort aanvragen"}],
    "customer": {"bsn": "999993653", "initials": "J.", "firstName": "Jan", "lastName": "Dijk", "language": "en"},
}


def _kc(key: str) -> dict[str, Any]:
    return {"uuid": key, "url": f"{BASE}/klantcontacten/{key}", "kanaal": "telefoon", "onderwerp": "x", "taal": "dut",
            "vertrouwelijk": False, "hadBetrokkenen": [], "gingOverOnderwerpobjecten": [],
            "metadata": {"afsprakenhubSleutel": "A-1:booked"}}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client() -> Iterator[KlantinteractiesClient]:
    c = KlantinteractiesClient(KlantinteractiesSettings(enabled=True, base_url=BASE))
    yield c
    c.close()


def checked(route: respx.Route) -> None:
    for call in route.calls:
        assert call.request.headers["Authorization"] == "Token sandbox-token"
        CONTRACT.check_exchange(call.request, call.response)


def test_maak_klantcontact_request_and_answer(mock: respx.MockRouter, client: KlantinteractiesClient) -> None:
    kc, b, o = (str(uuid.uuid4()) for _ in range(3))
    route = mock.post("/maak-klantcontact").respond(201, json={
        "klantcontact": _kc(kc), "betrokkene": {"uuid": b, "url": f"{BASE}/betrokkenen/{b}"},
        "onderwerpobject": {"uuid": o, "url": f"{BASE}/onderwerpobjecten/{o}"}})
    a = Appointment.model_validate(APPOINTMENT)
    body = maak_klantcontact(moments_for(a, "no_show")[-1], a, AppointmentIdentity()).wire()
    assert client.maak_klantcontact(body).klantcontact.uuid == kc
    checked(route)
    sent = json.loads(route.calls.last.request.content)
    assert sent["klantcontact"]["taal"] == "eng" and sent["klantcontact"]["kanaal"] == "telefoon"


def test_patch_and_list_follow_the_contract(mock: respx.MockRouter, client: KlantinteractiesClient) -> None:
    key = str(uuid.uuid4())
    patch = mock.patch(f"/klantcontacten/{key}").respond(200, json=_kc(key))
    a = Appointment.model_validate(APPOINTMENT)
    client.update_klantcontact(key, klantcontact(moments_for(a, "no_show")[0], a).wire())
    listing = mock.get("/klantcontacten").mock(side_effect=[
        httpx.Response(200, json={"count": 2, "next": f"{BASE}/klantcontacten?page=2", "previous": None,
                                  "results": [_kc(key)]}),
        httpx.Response(200, json={"count": 2, "next": None, "previous": None, "results": [_kc(str(uuid.uuid4()))]}),
    ])
    found = client.klantcontacten_for("A-1", "afspraak", "afsprakenregister")
    assert len(found) == 2 and found[0].metadata["afsprakenhubSleutel"] == "A-1:booked"
    checked(patch)
    checked(listing)


def test_delete_follows_the_contract_and_gone_already_is_fine(mock: respx.MockRouter,
                                                                client: KlantinteractiesClient) -> None:
    key = str(uuid.uuid4())
    route = mock.delete(f"/klantcontacten/{key}").mock(side_effect=[
        httpx.Response(204),
        httpx.Response(404, headers={"Content-Type": "application/problem+json"},
                       content=json.dumps({"type": "x", "code": "not_found", "title": "Niet gevonden.", "status": 404,
                                           "detail": "x"}).encode())])
    client.delete_klantcontact(key)
    client.delete_klantcontact(key)  # another converger removed it first
    checked(route)


def test_the_contract_catches_a_misspelt_field() -> None:
    request = httpx.Request("POST", f"{BASE}/maak-klantcontact", json={"klantcontact": {
        "kanaal": "x", "onderwerp": "y", "taal": "dut", "vertrouwelijk": False, "plaatsGevondenOp": "z"}})
    with pytest.raises(ContractViolation, match="plaatsGevondenOp"):
        CONTRACT.check_request(request)


def test_errors_are_classified_without_values(mock: respx.MockRouter, client: KlantinteractiesClient) -> None:
    problem = {"type": "x", "code": "invalid", "title": "Invalid input.", "status": 400, "detail": "jan@example.nl",
               "invalidParams": [{"name": "klantcontact.onderwerp", "code": "max_length", "reason": "te lang"}]}
    route = mock.post("/maak-klantcontact").mock(side_effect=[
        httpx.Response(400, json=problem, headers={"Content-Type": "application/problem+json"}),
        httpx.Response(503, headers={"Retry-After": "7"})])
    with pytest.raises(PermanentError) as permanent:
        client.maak_klantcontact({"klantcontact": {}})
    assert "400 invalid; invalid: klantcontact.onderwerp" in permanent.value.reason
    assert "example.nl" not in permanent.value.reason
    CONTRACT.check_response(route.calls[0].request, route.calls[0].response)
    with pytest.raises(TransientError) as transient:
        client.maak_klantcontact({"klantcontact": {}})
    assert transient.value.retry_after == 7


def test_partij_lookup_and_betrokkene_patch_follow_the_contract(mock: respx.MockRouter,
                                                                client: KlantinteractiesClient) -> None:
    p, b, kc = (str(uuid.uuid4()) for _ in range(3))
    listing = mock.get("/partijen").respond(200, json={"count": 1, "next": None, "previous": None, "results": [
        {"uuid": p, "url": f"{BASE}/partijen/{p}", "partijIdentificatoren": []}]})
    assert client.partij_for("natuurlijk_persoon", "brp", "bsn", "999993653") == p
    patch = mock.patch(f"/betrokkenen/{b}").respond(200, json={"uuid": b, "url": f"{BASE}/betrokkenen/{b}",
                                                               "wasPartij": {"uuid": p}})
    client.update_betrokkene(b, {"wasPartij": {"uuid": p}})
    made = mock.post("/maak-klantcontact").respond(201, json={
        "klantcontact": _kc(kc), "betrokkene": {"uuid": b, "url": f"{BASE}/betrokkenen/{b}"}})
    a = Appointment.model_validate({**APPOINTMENT, "customer": {**APPOINTMENT["customer"], "identification": "digid"}})
    client.maak_klantcontact(maak_klantcontact(moments_for(a, "no_show")[-1], a, AppointmentIdentity(), p).wire())
    assert json.loads(made.calls.last.request.content)["betrokkene"]["wasPartij"] == {"uuid": p}
    for route in (listing, patch, made):
        for call in route.calls:
            CONTRACT.check_exchange(call.request, call.response)
