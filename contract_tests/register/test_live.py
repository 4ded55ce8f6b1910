"""Read-only checks against a real register sandbox (`--live`); every answer is checked against the contract.

Credentials come from the environment: AFSPRAKENHUB_REGISTER_API__BASE_URL, …__TOKEN_URL,
…__CLIENT_ID, …__CLIENT_SECRET (and optionally …__SCOPE).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from connectors.register import RegisterClient
from contract_tests.openapi_check import OpenApiContract
from contract_tests.register.conftest import SPEC
from hub.settings import RegisterSettings

pytestmark = pytest.mark.live
PREFIX = "AFSPRAKENHUB_REGISTER_API__"
REQUIRED = ("BASE_URL", "TOKEN_URL", "CLIENT_ID", "CLIENT_SECRET")


class Recorder:
    """Keeps every API exchange (not the token call) for checking afterwards."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    def __call__(self, response: httpx.Response) -> None:
        if str(response.request.url).startswith(self.base_url):
            response.read()
            self.exchanges.append((response.request, response))


@pytest.fixture(scope="module")
def live_settings() -> RegisterSettings:
    missing = [PREFIX + key for key in REQUIRED if not os.environ.get(PREFIX + key)]
    if missing:
        pytest.fail("--live needs " + ", ".join(missing), pytrace=False)
    return RegisterSettings.model_validate(
        {key.lower(): os.environ[PREFIX + key] for key in (*REQUIRED, "SCOPE") if os.environ.get(PREFIX + key)})


@pytest.fixture
def live(live_settings: RegisterSettings) -> Iterator[tuple[RegisterClient, Recorder, OpenApiContract]]:
    recorder = Recorder(live_settings.base_url.rstrip("/"))
    http = httpx.Client(timeout=live_settings.timeout_seconds, event_hooks={"response": [recorder]})
    contract = OpenApiContract.load(SPEC, live_settings.base_url)
    with http, RegisterClient.from_settings(live_settings, http=http, max_retries=1) as client:
        yield client, recorder, contract
    for request, response in recorder.exchanges:
        contract.check_exchange(request, response)


def test_live_catalogues(live: tuple[RegisterClient, Recorder, OpenApiContract]) -> None:
    client, recorder, _ = live
    client.list_products()
    client.list_locations()
    client.list_counters()
    client.list_rooms()
    client.list_employees()
    assert len(recorder.exchanges) >= 5


def test_live_appointments_page_and_get(live: tuple[RegisterClient, Recorder, OpenApiContract]) -> None:
    client, recorder, _ = live
    page = client.appointments_page(limit=1)
    assert len(page.items) <= 1
    if page.items:
        assert client.get_appointment(page.items[0].id).id == page.items[0].id
        assert recorder.exchanges[-1][1].headers.get("ETag") == f'"{page.items[0].version}"'


def test_live_planning_lists(live: tuple[RegisterClient, Recorder, OpenApiContract]) -> None:
    client, recorder, _ = live
    client.list_staffing_blocks()
    client.list_unavailability_blocks()
    assert len(recorder.exchanges) >= 2


def test_live_unknown_appointment_is_a_problem(live: tuple[RegisterClient, Recorder, OpenApiContract]) -> None:
    from connectors.register import NotFoundError

    client, _, _ = live
    with pytest.raises(NotFoundError):
        client.get_appointment("afsprakenhub-contract-test-does-not-exist")
