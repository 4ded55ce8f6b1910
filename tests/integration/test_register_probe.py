"""`afsprakenhub register probe` against the canonical register's simulator: every step, and each way it fails."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.register import Credentials
from connectors.register.adapter import CanonicalRegister
from hub.cli import app
from hub.config import get_settings
from hub.register_probe import EXIT_SHAPE, ProbeFailed, probe_with
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer

BSN = "999993653"


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Iterator[RegisterSimulator]:
    sim = RegisterSimulator()
    server = SandboxServer(sim).start()
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER_API__BASE_URL", sim.api_url)
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER_API__TOKEN_URL", sim.token_url)
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER_API__MAX_RETRIES", "0")
    monkeypatch.delenv("AFSPRAKENHUB_REGISTER__VENDOR", raising=False)
    get_settings.cache_clear()
    try:
        yield sim
    finally:
        get_settings.cache_clear()
        server.stop()


def _probe(*args: str) -> Any:
    return CliRunner().invoke(app, ["register", "probe", *args])


def test_probe_reads_locations_products_and_one_appointment_as_the_canonical_model(register: RegisterSimulator) -> None:
    booked = register.book(datetime(2027, 3, 29, 8, 0, tzinfo=UTC), products=("PASPOORT-AANVRAAG",))
    result = _probe("--appointment", booked.id, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"vendor", "locations", "products", "appointment"} and data["vendor"] == "canonical"
    assert data["locations"] and all(set(x) == {"id", "name"} for x in data["locations"])
    assert {"id": "PASPOORT-AANVRAAG", "name": register.catalog.products["PASPOORT-AANVRAAG"].name} in data["products"]
    appointment = data["appointment"]
    assert appointment["id"] == booked.id and appointment["start"] == "2027-03-29T08:00:00Z"
    assert appointment["products"][0] == {"code": "PASPOORT-AANVRAAG", "name": booked.products[0].name,
                                          "quantity": 1}
    assert BSN not in result.stdout  # the customer is masked unless --show-personal-data


def test_probe_without_an_appointment_prints_null_and_a_table_without_json(register: RegisterSimulator) -> None:
    result = _probe("--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["appointment"] is None
    text = _probe()
    assert text.exit_code == 0 and "register canonical: authenticated" in text.stdout and "locations (" in text.stdout


def test_bad_credentials_fail_at_authenticate(register: RegisterSimulator) -> None:
    result = _probe("--client-secret", "wrong-secret")
    assert result.exit_code == 3
    assert result.stderr.strip().startswith("register probe failed at step 'authenticate': bad credentials (")
    assert "wrong-secret" not in result.output


def test_overrides_point_the_probe_at_another_instance(register: RegisterSimulator,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER_API__BASE_URL", "http://127.0.0.1:9/nothing")
    get_settings.cache_clear()
    assert _probe().exit_code == 4  # the configured instance is unreachable …
    result = _probe("--base-url", register.api_url, "--token-url", register.token_url, "--json")
    assert result.exit_code == 0, result.output  # … the one named on the command line answers


def test_unreachable_register_fails_at_authenticate() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    get_settings.cache_clear()
    result = _probe("--base-url", f"http://127.0.0.1:{port}/api", "--token-url", f"http://127.0.0.1:{port}/token")
    assert result.exit_code == 4
    assert result.stderr.strip() == ("register probe failed at step 'authenticate': unreachable "
                                     "(register token failed: ConnectError)")


def test_unknown_appointment_and_options_that_do_not_apply(register: RegisterSimulator) -> None:
    missing = _probe("--appointment", "A-NOPE")
    assert missing.exit_code == 6 and "at step 'read appointment': not found" in missing.stderr
    key = _probe("--api-key", "k")
    assert key.exit_code == 2 and key.stderr.strip() == (
        "register probe failed at step 'configure': --api-key does not apply to register canonical")
    vendor = _probe("--vendor", "acme")
    assert vendor.exit_code == 2 and "unknown register vendor 'acme'; known: canonical" in vendor.stderr


def test_an_unexpected_shape_names_the_field() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        return httpx.Response(200, json={"items": [{"id": "LOC-1", "label": "no name field"}], "next": None})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    register = CanonicalRegister("http://register.example.nl/api/v1",
                                 Credentials("http://register.example.nl/token", "c", SecretStr("s")),
                                 http=http, max_retries=0)
    with pytest.raises(ProbeFailed) as failed:
        probe_with(register)
    assert (failed.value.step, failed.value.exit_code) == ("list locations", EXIT_SHAPE)
    assert failed.value.reason.startswith("unexpected shape in field 'items.0.name'")
    http.close()
