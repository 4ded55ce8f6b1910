"""The BRP simulator answers as Haal Centraal "BRP Personen Bevragen" documents it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.brp import BrpClient, BrpSettings
from sandbox.brp import BrpSimulator
from sandbox.server import SandboxServer

BSN = "999993653"
HEADERS = {"X-API-KEY": "sandbox-key", "x-doelbinding": "BRPACT-Test", "x-origin-oin": "00000001001234567000",
           "x-verwerking": "Test", "Content-Type": "application/json"}


@pytest.fixture
def brp() -> Iterator[tuple[BrpSimulator, str]]:
    sim = BrpSimulator()
    sim.add_person(BSN, first_names="Jan Pieter", prefix="van", last_name="Dijk", birth_date="1980-01-28")
    with SandboxServer(sim):
        yield sim, sim.api_url + "/personen"


def post(url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(url, json=body, headers=HEADERS if headers is None else headers)


def query(**changes: Any) -> dict[str, Any]:
    return {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [BSN],
            "fields": ["naam.geslachtsnaam", "geboorte.datum"], **changes}


def test_only_the_requested_fields_come_back(brp: tuple[BrpSimulator, str]) -> None:
    _, url = brp
    answer = post(url, query())
    assert answer.status_code == 200
    assert answer.json() == {"type": "RaadpleegMetBurgerservicenummer", "personen": [
        {"naam": {"geslachtsnaam": "Dijk"},
         "geboorte": {"datum": {"type": "Datum", "datum": "1980-01-28", "langFormaat": "28 januari 1980"}}}]}


def test_an_unknown_bsn_is_an_empty_list_not_a_404(brp: tuple[BrpSimulator, str]) -> None:
    _, url = brp
    answer = post(url, query(burgerservicenummer=["111222333"]))
    assert answer.status_code == 200 and answer.json()["personen"] == []


@pytest.mark.parametrize(("body", "param", "code"), [
    (query(fields=["naam.bestaatniet"]), "fields[0]", "field"),
    (query(fields=[]), "fields", "required"),
    (query(burgerservicenummer=["12345"]), "burgerservicenummer[0]", "pattern"),
    (query(burgerservicenummer=[BSN] * 21), "burgerservicenummer", "maxItems"),
    (query(type="RaadpleegMetIets"), "type", "value"),
    ({"burgerservicenummer": [BSN], "fields": ["naam"]}, "type", "required"),
])
def test_invalid_parameters_are_a_params_validation_problem(brp: tuple[BrpSimulator, str], body: dict[str, Any],
                                                            param: str, code: str) -> None:
    _, url = brp
    answer = post(url, body)
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "paramsValidation"
    assert {"name": param, "code": code} in [{"name": p["name"], "code": p["code"]} for p in problem["invalidParams"]]


def test_key_purpose_binding_and_content_type_are_required(brp: tuple[BrpSimulator, str]) -> None:
    _, url = brp
    assert post(url, query(), {**HEADERS, "X-API-KEY": "wrong"}).status_code == 401
    without = {k: v for k, v in HEADERS.items() if k != "x-doelbinding"}
    refused = post(url, query(), without)
    assert refused.status_code == 403 and refused.json()["code"] == "authorization"
    assert httpx.post(url, content="type=x", headers={**HEADERS, "Content-Type": "text/plain"}).status_code == 415


def test_the_hubs_client_gets_its_answer_from_the_simulator(brp: tuple[BrpSimulator, str]) -> None:
    sim, _ = brp
    client = BrpClient(BrpSettings(enabled=True, base_url=sim.api_url))
    person = client.raadpleeg(BSN)
    assert person is not None and person.last_name == "Dijk" and person.prefix == "van"
    assert person.first_names == "Jan Pieter" and person.birth_date is not None
    assert client.raadpleeg("111222333") is None
    client.close()
