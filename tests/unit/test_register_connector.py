"""Unit tests of the register connector: auth, retries, errors, pagination, idempotency, batching, concurrency.

Everything runs against respx; nothing sleeps (the retry sleep is injected and recorded).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from prometheus_client import REGISTRY
from pydantic import SecretStr

from connectors.register import (
    AsyncRegisterClient,
    Credentials,
    RegisterClient,
    StaffingBlock,
    UnauthorizedError,
    idempotency_key,
)
from connectors.register.calls import AppointmentFilters, appointment_input
from hub.config import Settings
from hub.errors import PermanentError, TransientError
from hub.logging import bind_correlation
from hub.peers import PEER_FACTORIES
from hub.settings import RegisterSettings

BASE = "http://127.0.0.1:8701/register/api/v1"
TOKEN_URL = "http://127.0.0.1:8701/register/oauth/token"
CREDENTIALS = Credentials(TOKEN_URL, "afsprakenhub", SecretStr("s3cret"))


def appointment(appointment_id: str = "A-1", version: int = 1, **changes: Any) -> dict[str, Any]:
    return {"id": appointment_id, "version": version, "status": "booked",
            "start": "2025-03-03T09:00:00+01:00", "end": "2025-03-03T09:15:00+01:00",
            "location": {"id": "loc-1", "name": "Stadskantoor"}, "externalId": "ext-1",
            "updatedAt": "2025-03-01T12:00:00Z", **changes}


def block(i: int) -> StaffingBlock:
    return StaffingBlock.model_validate({"id": f"sb-{i}", "resourceId": "emp-1", "locationId": "loc-1",
                                         "start": "2025-03-03T08:00:00+01:00",
                                         "end": "2025-03-03T12:00:00+01:00", "capacity": 1})


class FakeTime:
    """An injectable clock and sleep: the clock only moves when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def token_route(mock: respx.MockRouter) -> respx.Route:
    issued = iter(range(1, 100))
    return mock.post(TOKEN_URL).mock(side_effect=lambda _: httpx.Response(
        200, json={"access_token": f"token-{next(issued)}", "token_type": "Bearer", "expires_in": 100}))


@pytest.fixture
def client(token_route: respx.Route, fake_time: FakeTime) -> Iterator[RegisterClient]:
    with RegisterClient(BASE, CREDENTIALS, max_retries=3, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        yield c


def bearer(route: respx.Route, index: int = -1) -> str:
    return route.calls[index].request.headers["Authorization"]


def peer_calls(outcome: str) -> float:
    value = REGISTRY.get_sample_value("afsprakenhub_peer_calls_total", {"connector": "register", "outcome": outcome})
    return value or 0.0


# -- auth -------------------------------------------------------------------------------------------

def test_token_is_fetched_once_and_cached(mock: respx.MockRouter, token_route: respx.Route,
                                          client: RegisterClient) -> None:
    api = mock.get(f"{BASE}/appointments/A-1").respond(200, json=appointment())
    client.get_appointment("A-1")
    client.get_appointment("A-1")
    assert token_route.call_count == 1
    assert bearer(api, 0) == bearer(api, 1) == "Bearer token-1"
    form = token_route.calls[0].request.content.decode()
    assert "grant_type=client_credentials" in form and "client_secret=s3cret" in form


def test_token_is_refreshed_a_little_before_expiry(mock: respx.MockRouter, token_route: respx.Route,
                                                   client: RegisterClient, fake_time: FakeTime) -> None:
    api = mock.get(f"{BASE}/appointments/A-1").respond(200, json=appointment())
    client.get_appointment("A-1")
    fake_time.now += 69  # expires_in 100, refresh margin 30: still fresh
    client.get_appointment("A-1")
    assert token_route.call_count == 1
    fake_time.now += 2  # 71 s: inside the margin
    client.get_appointment("A-1")
    assert token_route.call_count == 2
    assert bearer(api) == "Bearer token-2"


def test_a_401_refreshes_the_token_once(mock: respx.MockRouter, token_route: respx.Route,
                                        client: RegisterClient) -> None:
    api = mock.get(f"{BASE}/appointments/A-1")
    api.side_effect = [httpx.Response(401), httpx.Response(200, json=appointment())]
    assert client.get_appointment("A-1").id == "A-1"
    assert token_route.call_count == 2 and api.call_count == 2
    assert [bearer(api, 0), bearer(api, 1)] == ["Bearer token-1", "Bearer token-2"]


def test_a_second_401_is_permanent(mock: respx.MockRouter, token_route: respx.Route,
                                   client: RegisterClient, fake_time: FakeTime) -> None:
    api = mock.get(f"{BASE}/appointments/A-1").respond(401)
    with pytest.raises(UnauthorizedError, match="get_appointment failed: 401"):
        client.get_appointment("A-1")
    assert api.call_count == 2 and token_route.call_count == 2 and fake_time.sleeps == []


def test_rejected_client_credentials_are_permanent(mock: respx.MockRouter, fake_time: FakeTime) -> None:
    mock.post(TOKEN_URL).respond(401, json={"error": "invalid_client"})
    api = mock.get(f"{BASE}/products").respond(200, json={"items": [], "next": None})
    with RegisterClient(BASE, CREDENTIALS, sleep=fake_time.sleep) as client, \
            pytest.raises(UnauthorizedError, match="token failed: 401 invalid_client"):
        client.list_products()
    assert api.call_count == 0


# -- retries and errors -----------------------------------------------------------------------------

def test_429_waits_exactly_retry_after(mock: respx.MockRouter, client: RegisterClient,
                                       fake_time: FakeTime) -> None:
    api = mock.get(f"{BASE}/appointments/A-1")
    api.side_effect = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=appointment())]
    assert client.get_appointment("A-1").id == "A-1"
    assert fake_time.sleeps == [7.0] and api.call_count == 2


def test_a_long_retry_after_goes_back_to_the_caller(mock: respx.MockRouter, client: RegisterClient,
                                                    fake_time: FakeTime) -> None:
    api = mock.get(f"{BASE}/appointments/A-1").respond(429, headers={"Retry-After": "600"})
    with pytest.raises(TransientError) as caught:
        client.get_appointment("A-1")
    assert caught.value.retry_after == 600.0 and api.call_count == 1 and fake_time.sleeps == []


def test_5xx_is_retried_then_succeeds(mock: respx.MockRouter, client: RegisterClient, fake_time: FakeTime) -> None:
    api = mock.get(f"{BASE}/appointments/A-1")
    api.side_effect = [httpx.Response(500), httpx.Response(503), httpx.Response(200, json=appointment())]
    ok_before = peer_calls("ok")
    transient_before = peer_calls("transient")
    assert client.get_appointment("A-1").version == 1
    assert api.call_count == 3 and len(fake_time.sleeps) == 2 and all(s > 0 for s in fake_time.sleeps)
    assert peer_calls("transient") - transient_before == 2 and peer_calls("ok") - ok_before == 1


def test_retries_stop_after_max_retries(mock: respx.MockRouter, client: RegisterClient) -> None:
    api = mock.get(f"{BASE}/appointments/A-1").respond(502)
    with pytest.raises(TransientError, match="get_appointment failed: 502"):
        client.get_appointment("A-1")
    assert api.call_count == 4  # the first try and max_retries=3 retries


@pytest.mark.parametrize("failure", [httpx.ConnectTimeout("slow"), httpx.ConnectError("refused")])
def test_timeouts_and_connection_errors_are_transient(mock: respx.MockRouter, client: RegisterClient,
                                                      failure: httpx.HTTPError) -> None:
    api = mock.get(f"{BASE}/appointments/A-1")
    api.side_effect = [failure, httpx.Response(200, json=appointment())]
    assert client.get_appointment("A-1").id == "A-1"
    assert api.call_count == 2


def test_4xx_is_permanent_without_retry(mock: respx.MockRouter, client: RegisterClient,
                                        fake_time: FakeTime) -> None:
    problem = {"title": "Invalid appointment", "status": 422, "detail": "BSN 999993653 is al bekend",
               "invalidParams": [{"name": "customer.bsn", "reason": "999993653 bestaat al"}]}
    api = mock.put(f"{BASE}/appointments/by-external-id/ext-1").respond(422, json=problem)
    permanent_before = peer_calls("permanent")
    with pytest.raises(PermanentError) as caught:
        client.upsert_appointment("ext-1", appointment())
    assert api.call_count == 1 and fake_time.sleeps == []
    assert str(caught.value) == "register upsert_appointment failed: 422 Invalid appointment; invalid: customer.bsn"
    assert peer_calls("permanent") - permanent_before == 1


def test_correlation_id_goes_on_every_request(mock: respx.MockRouter, token_route: respx.Route,
                                              client: RegisterClient) -> None:
    api = mock.get(f"{BASE}/appointments/A-1").respond(200, json=appointment())
    with bind_correlation("event-42"):
        client.get_appointment("A-1")
    assert api.calls.last.request.headers["X-Correlation-ID"] == "event-42"
    assert token_route.calls.last.request.headers["X-Correlation-ID"] == "event-42"


# -- reading and writing ----------------------------------------------------------------------------

def test_pagination_follows_three_pages(mock: respx.MockRouter, client: RegisterClient) -> None:
    api = mock.get(f"{BASE}/appointments")
    api.side_effect = [
        httpx.Response(200, json={"items": [appointment("A-1"), appointment("A-2")], "next": "c2"}),
        httpx.Response(200, json={"items": [appointment("A-3")], "next": "c3"}),
        httpx.Response(200, json={"items": [appointment("A-4")], "next": None}),
    ]
    ids = [a.id for a in client.list_appointments(location_id="loc-1", page_size=2)]
    assert ids == ["A-1", "A-2", "A-3", "A-4"]
    cursors = [c.request.url.params.get("cursor") for c in api.calls]
    assert cursors == [None, "c2", "c3"]
    assert all(c.request.url.params["locationId"] == "loc-1" for c in api.calls)


def test_both_clients_send_the_filters_in_wire_form(mock: respx.MockRouter, client: RegisterClient) -> None:
    api = mock.get(f"{BASE}/appointments").respond(200, json={"items": [], "next": None})
    since = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    filters: AppointmentFilters = {"updated_since": since, "case_reference": "Z-1", "status": "planned"}
    assert list(client.list_appointments(**filters)) == []

    async def listed() -> list[str]:
        async with AsyncRegisterClient(BASE, CREDENTIALS) as async_client:
            return [a.id async for a in async_client.list_appointments(**filters)]

    assert asyncio.run(listed()) == []
    sent = [dict(c.request.url.params) for c in api.calls]
    assert sent[0] == sent[1] and sent[0]["caseReference"] == "Z-1" and sent[0]["status"] == "planned"
    assert sent[0]["updatedSince"].startswith("2026-03-01T08:00") and "customerBsn" not in sent[0]
    with pytest.raises(TypeError, match="updatedsince"):
        client.appointments_page(updatedsince=since)  # type: ignore[call-arg]


def test_a_cursor_that_does_not_advance_is_refused(mock: respx.MockRouter, client: RegisterClient) -> None:
    mock.get(f"{BASE}/products").mock(side_effect=lambda r: httpx.Response(200, json={"items": [], "next": "same"}))
    with pytest.raises(PermanentError, match="cursor does not advance"):
        client.list_products()


def test_idempotency_key_is_stable_per_content(mock: respx.MockRouter, client: RegisterClient) -> None:
    api = mock.put(f"{BASE}/appointments/by-external-id/ext-1").respond(200, json=appointment())
    client.upsert_appointment("ext-1", appointment())
    client.upsert_appointment("ext-1", appointment(version=5, updatedAt="2030-01-01T00:00:00Z"))  # not content
    client.upsert_appointment("ext-1", appointment(notes="moved"))
    keys = [c.request.headers["Idempotency-Key"] for c in api.calls]
    assert keys[0] == keys[1] != keys[2]
    body = appointment_input("ext-1", appointment())
    assert idempotency_key("ext-1", body) == keys[0] != idempotency_key("ext-2", body)
    client.upsert_appointment("ext-1", appointment(), idempotency_key="mine", if_match=3)
    assert api.calls.last.request.headers["Idempotency-Key"] == "mine"
    assert api.calls.last.request.headers["If-Match"] == '"3"'


def test_batches_are_chunked_at_500(mock: respx.MockRouter, client: RegisterClient) -> None:
    def count(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={"created": len(body["upsert"]), "updated": 0, "unchanged": 0,
                                         "deleted": len(body["delete"]), "notFound": 0})

    api = mock.post(f"{BASE}/staffing-blocks/batch").mock(side_effect=count)
    result = client.batch_staffing_blocks(upsert=[block(i) for i in range(1200)], delete=["old-1"])
    sizes = [len(json.loads(c.request.content)["upsert"]) for c in api.calls]
    assert sizes == [500, 500, 200]
    assert result.created == 1200 and result.deleted == 1
    assert client.batch_staffing_blocks().created == 0 and api.call_count == 3  # nothing to send


# -- async ------------------------------------------------------------------------------------------

def test_async_client_respects_max_concurrency(mock: respx.MockRouter, token_route: respx.Route) -> None:
    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(10):  # yield to every other task: all that can start now, do
            await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json=appointment(request.url.path.rsplit("/", 1)[-1]))

    mock.get(url__regex=rf"^{BASE}/appointments/A-\d+$").mock(side_effect=slow)

    async def scenario() -> list[str]:
        async with AsyncRegisterClient(BASE, CREDENTIALS, max_concurrency=3) as client:
            found = await asyncio.gather(*(client.get_appointment(f"A-{i}") for i in range(12)))
        return [a.id for a in found]

    assert asyncio.run(scenario()) == [f"A-{i}" for i in range(12)]
    assert peak == 3
    assert token_route.call_count == 1


def test_async_retries_use_the_injected_sleep(mock: respx.MockRouter, token_route: respx.Route) -> None:
    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    api = mock.get(f"{BASE}/appointments/A-1")
    api.side_effect = [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=appointment())]

    async def scenario() -> str:
        async with AsyncRegisterClient(BASE, CREDENTIALS, sleep=no_sleep) as client:
            return (await client.get_appointment("A-1")).id

    assert asyncio.run(scenario()) == "A-1"
    assert sleeps == [2.0] and api.call_count == 2


def test_concurrent_async_calls_retry_independently(mock: respx.MockRouter, token_route: respx.Route) -> None:
    attempts: dict[str, int] = {}
    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await asyncio.sleep(0)

    async def flaky(request: httpx.Request) -> httpx.Response:
        appointment_id = request.url.path.rsplit("/", 1)[-1]
        attempts[appointment_id] = attempts.get(appointment_id, 0) + 1
        await asyncio.sleep(0)
        if attempts[appointment_id] == 1:
            return httpx.Response(503, headers={"Retry-After": "1"})
        return httpx.Response(200, json=appointment(appointment_id))

    mock.get(url__regex=rf"^{BASE}/appointments/A-\d+$").mock(side_effect=flaky)

    async def scenario() -> list[str]:
        async with AsyncRegisterClient(BASE, CREDENTIALS, max_retries=1, max_concurrency=8, sleep=no_sleep) as c:
            return [a.id for a in await asyncio.gather(*(c.get_appointment(f"A-{i}") for i in range(8)))]

    assert asyncio.run(scenario()) == [f"A-{i}" for i in range(8)]
    assert attempts == {f"A-{i}": 2 for i in range(8)} and sleeps == [1.0] * 8


# -- wiring -----------------------------------------------------------------------------------------

def test_peer_factory_builds_a_client_from_settings() -> None:
    settings = Settings(register_api=RegisterSettings(base_url="http://tip.local/register/api/v1/",
                                                      timeout_seconds=3.5, max_retries=1))
    peer = PEER_FACTORIES["register"](settings)
    try:
        assert isinstance(peer, RegisterClient)
        assert peer._base_url == "http://tip.local/register/api/v1"
        assert peer._http.timeout.read == 3.5
    finally:
        peer.close()
