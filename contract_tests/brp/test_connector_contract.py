"""The BRP connector and the BRP simulator against the published shapes of "BRP Personen Bevragen".

Every request the connector sends and every answer it reads is checked against `brp-personen-subset.yaml`
(our trimmed copy of the published OpenAPI document plus the gateways' purpose-binding headers): offline
with respx, and against the loopback simulator so both sides keep to the same document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from connectors.brp import FIELDS, BrpClient, BrpSettings
from contract_tests.openapi_check import ContractViolation, OpenApiContract
from sandbox.brp import BrpSimulator
from sandbox.server import SandboxServer

SPEC = Path(__file__).with_name("brp-personen-subset.yaml")
BASE = "http://127.0.0.1:8701/brp/haalcentraal/api/brp"
CONTRACT = OpenApiContract.load(SPEC, BASE)
BSN = "999993653"
PERSOON = {"burgerservicenummer": BSN, "naam": {"voornamen": "Jan", "voorvoegsel": "van", "geslachtsnaam": "Dijk"},
           "geboorte": {"datum": {"type": "Datum", "datum": "1980-01-28", "langFormaat": "28 januari 1980"}}}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_raadpleeg_request_and_answer(mock: respx.MockRouter) -> None:
    route = mock.post("/personen").respond(200, json={"type": "RaadpleegMetBurgerservicenummer",
                                                      "personen": [PERSOON]})
    client = BrpClient(BrpSettings(enabled=True, base_url=BASE))
    person = client.raadpleeg(BSN)
    assert person is not None and person.last_name == "Dijk"
    for call in route.calls:
        CONTRACT.check_exchange(call.request, call.response)
    client.close()


def test_the_contract_catches_a_missing_purpose_header_and_a_misspelt_field() -> None:
    body = {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [BSN], "fields": ["naam"]}
    without = httpx.Request("POST", f"{BASE}/personen", json=body, headers={"x-verwerking": "x",
                                                                              "x-origin-oin": "0" * 20})
    with pytest.raises(ContractViolation, match="x-doelbinding"):
        CONTRACT.check_request(without)
    misspelt = httpx.Request("POST", f"{BASE}/personen", json={**body, "burgerServiceNummer": [BSN]}, headers={
        "x-doelbinding": "d", "x-verwerking": "v", "x-origin-oin": "0" * 20})
    with pytest.raises(ContractViolation, match="burgerServiceNummer"):
        CONTRACT.check_request(misspelt)


def test_the_simulator_answers_within_the_contract() -> None:
    sim = BrpSimulator()
    sim.add_person(BSN, first_names="Jan", prefix="van", last_name="Dijk", birth_date="1980-01-28")
    with SandboxServer(sim):
        client = BrpClient(BrpSettings(enabled=True, base_url=sim.api_url))
        assert client.raadpleeg(BSN) is not None and client.raadpleeg("111222333") is None
        client.close()
        contract = OpenApiContract.load(SPEC, sim.api_url)
        headers = client.headers()
        for bsn in (BSN, "111222333"):
            good = httpx.post(f"{sim.api_url}/personen", headers=headers, content=json.dumps(
                {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [bsn], "fields": list(FIELDS)}))
            assert good.status_code == 200
            contract.check_exchange(good.request, good)
        bad = httpx.post(f"{sim.api_url}/personen", headers=headers, content=json.dumps(
            {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [BSN], "fields": ["nope"]}))
        assert bad.status_code == 400
        contract.check_response(bad.request, bad)
    calls = sim.calls.find("POST", "/haalcentraal/api/brp/personen")
    assert len(calls) == 5
