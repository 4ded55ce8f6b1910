"""The connector against a mocked register: every request it sends and every answer it reads is
checked against openapi.yaml (see conftest.MockRegister), and the results are typed as promised."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from connectors.register import (
    AsyncRegisterClient,
    BatchResult,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    RegisterClient,
    StaffingBlock,
    UnavailabilityBlock,
)
from contract_tests.register import samples
from contract_tests.register.conftest import MockRegister, reply
from hub.errors import PermanentError, TransientError
from hub.model import Appointment, AppointmentStatus


def _body(request: httpx.Request) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(request.content)
    return loaded


def test_token_request_is_client_credentials(register: MockRegister, client: RegisterClient) -> None:
    register.on("GET", "/products", reply(200, {"items": [samples.PRODUCT], "next": None}))
    client.list_products()
    (form,) = register.token_requests
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == ["afsprakenhub"] and form["client_secret"] == ["contract-secret"]
    assert form["scope"] == ["afspraken"]


def test_get_appointment(register: MockRegister, client: RegisterClient) -> None:
    route = register.on("GET", "/appointments/A%2F1", reply(200, samples.appointment("A/1", 3), etag=3))
    result = client.get_appointment("A/1")
    assert isinstance(result, Appointment) and result.id == "A/1" and result.version == 3
    assert route.calls.last.request.headers["Authorization"] == "Bearer token-1"


def test_list_appointments_sends_every_filter_and_follows_cursors(register: MockRegister,
                                                                  client: RegisterClient) -> None:
    route = register.on("GET", "/appointments",
                        reply(200, {"items": [samples.appointment("A-1")], "next": "c2"}),
                        reply(200, {"items": [samples.appointment("A-2")], "next": None}))
    since = datetime(2025, 3, 1, tzinfo=UTC)
    found = list(client.list_appointments(
        from_=since, to=datetime(2025, 4, 1, tzinfo=UTC), updated_since=since, external_id="x",
        case_reference="ZAAK-1", customer_bsn="999993653", location_id="loc", status=AppointmentStatus.BOOKED,
        page_size=50))
    assert [a.id for a in found] == ["A-1", "A-2"]
    first, second = (c.request.url.params for c in route.calls)
    assert set(first) == {"from", "to", "updatedSince", "externalId", "caseReference", "customerBsn",
                          "locationId", "status", "limit"}
    assert first["status"] == "booked" and first["limit"] == "50"
    assert second["cursor"] == "c2" and second["externalId"] == "x"


def test_find_helpers(register: MockRegister, client: RegisterClient) -> None:
    register.on("GET", "/appointments", lambda r: reply(
        200, {"items": [samples.appointment()] if "caseReference" in r.url.params else [], "next": None}))
    assert client.find_by_external_id("unknown") is None
    assert [a.case_reference for a in client.find_by_case_reference("ZAAK-2025-0001")] == ["ZAAK-2025-0001"]


def test_upsert_create_and_update(register: MockRegister, client: RegisterClient) -> None:
    route = register.on("PUT", "/appointments/by-external-id/hub-ext-1",
                        reply(201, samples.appointment(), etag=1, Location="/appointments/A-1001"),
                        reply(200, samples.appointment(version=2, status="rescheduled"), etag=2))
    snapshot = Appointment.model_validate(samples.appointment())
    created = client.upsert_appointment("hub-ext-1", snapshot, notify_customer=False)
    moved = snapshot.model_copy(update={"status": AppointmentStatus.RESCHEDULED})
    updated = client.upsert_appointment("hub-ext-1", moved, notify_customer=True, if_match=1)
    assert created.created and not updated.created and updated.appointment.version == 2
    first, second = (c.request for c in route.calls)
    assert first.url.params["notifyCustomer"] == "false" and second.url.params["notifyCustomer"] == "true"
    assert "If-Match" not in first.headers and second.headers["If-Match"] == '"1"'
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    body = _body(first)
    assert body["externalId"] == "hub-ext-1" and not {"id", "version", "updatedAt"} & set(body)


@pytest.mark.parametrize("action", ["complete", "close", "cancel", "check-in"])
def test_status_changes(register: MockRegister, client: RegisterClient, action: str) -> None:
    status = {"complete": "completed", "close": "closed", "cancel": "cancelled", "check-in": "checked_in"}[action]
    route = register.on("POST", f"/appointments/A-1001/{action}",
                        reply(200, samples.appointment(version=4, status=status), etag=4))
    method = getattr(client, f"{action.replace('-', '_')}_appointment")
    result = method("A-1001", reason="zaak afgesloten", notify_customer=False, if_match='"3"')
    assert result.status == status
    request = route.calls.last.request
    assert _body(request) == {"reason": "zaak afgesloten", "notifyCustomer": False}
    assert request.headers["If-Match"] == '"3"'


@pytest.mark.parametrize(("status", "title", "error", "upsert"), [
    (404, "Not Found", NotFoundError, False), (409, "Transition not allowed", ConflictError, False),
    (412, "Precondition Failed", PreconditionFailedError, True), (422, "Invalid appointment", PermanentError, True),
])
def test_problem_answers_become_permanent_errors(register: MockRegister, client: RegisterClient, status: int,
                                                 title: str, error: type[PermanentError], upsert: bool) -> None:
    problem = samples.problem(status, title, detail="Klant 999993653 (jan.devries@example.nl) bestaat al",
                              invalidParams=[{"name": "customer.email", "reason": "jan.devries@example"}])
    if upsert:
        route = register.on("PUT", "/appointments/by-external-id/ext-1", reply(status, problem))
        call = "upsert_appointment"
    else:
        route = register.on("POST", "/appointments/A-1001/complete", reply(status, problem))
        call = "complete_appointment"
    with pytest.raises(error) as caught:
        if upsert:
            client.upsert_appointment("ext-1", samples.appointment(), if_match=2)
        else:
            client.complete_appointment("A-1001")
    message = str(caught.value)
    assert f"{call} failed: {status} {title}" in message and "customer.email" in message
    assert "999993653" not in message and "jan.devries" not in message
    assert route.call_count == 1


def test_rate_limit_and_server_errors_are_transient(register: MockRegister, client: RegisterClient) -> None:
    limited = reply(429, samples.problem(429, "Too Many Requests"), Retry_After="3")
    route = register.on("GET", "/appointments/A-1001", limited, reply(503, samples.problem(503, "Maintenance")),
                        reply(200, samples.appointment(), etag=1))
    assert client.get_appointment("A-1001").id == "A-1001"
    assert route.call_count == 3
    register.on("GET", "/locations", limited)
    with pytest.raises(TransientError) as caught:
        client.list_locations()
    assert caught.value.retry_after == 3.0


def test_resource_lists(register: MockRegister, client: RegisterClient) -> None:
    for path, item in [("/products", samples.PRODUCT), ("/locations", samples.LOCATION),
                       ("/counters", samples.COUNTER), ("/rooms", samples.ROOM), ("/employees", samples.EMPLOYEE)]:
        register.on("GET", path, reply(200, {"items": [item], "next": None}))
    assert client.list_products()[0].duration_minutes == 15
    assert client.list_locations()[0].address is not None
    assert client.list_counters()[0].location_id == "loc-stadskantoor"
    assert client.list_rooms()[0].mailbox == "spreekkamer1@tilburg.nl"
    assert client.list_employees()[0].upn == "m.jansen@tilburg.nl"
    assert len(register.exchanges) == 5


def test_staffing_blocks_list_and_batch(register: MockRegister, client: RegisterClient) -> None:
    listed = register.on("GET", "/staffing-blocks", reply(200, {"items": [samples.staffing_block()], "next": None}))
    counts = {"created": 1, "updated": 0, "unchanged": 0, "deleted": 1, "notFound": 0}
    batch = register.on("POST", "/staffing-blocks/batch", reply(200, counts))
    blocks = client.list_staffing_blocks(from_=datetime(2025, 3, 1, tzinfo=UTC), resource_id="emp-7",
                                         location_id="loc-stadskantoor")
    assert blocks[0].skills == ["PASPOORT", "RIJBEWIJS"]
    assert set(listed.calls.last.request.url.params) == {"from", "resourceId", "locationId", "limit"}
    result = client.batch_staffing_blocks(upsert=blocks, delete=["sb-old"])
    assert result == BatchResult(created=1, deleted=1)
    assert _body(batch.calls.last.request) == {"upsert": [samples.staffing_block()], "delete": ["sb-old"]}


def test_unavailability_blocks_list_and_batch(register: MockRegister, client: RegisterClient) -> None:
    listed = register.on("GET", "/unavailability-blocks",
                         reply(200, {"items": [samples.unavailability_block()], "next": None}))
    register.on("POST", "/unavailability-blocks/batch",
                reply(200, {"created": 0, "updated": 1, "unchanged": 0, "deleted": 0, "notFound": 1}))
    blocks = client.list_unavailability_blocks(employee_id="emp-7")
    assert isinstance(blocks[0], UnavailabilityBlock) and blocks[0].source == "exchange"
    assert listed.calls.last.request.url.params["employeeId"] == "emp-7"
    assert client.batch_unavailability_blocks(upsert=blocks, delete=["ub-x"]).not_found == 1


def test_async_client_speaks_the_same_contract(register: MockRegister, async_client: AsyncRegisterClient) -> None:
    register.on("GET", "/appointments", reply(200, {"items": [samples.appointment()], "next": None}))
    register.on("PUT", r"/appointments/by-external-id/ext-1", reply(201, samples.appointment(), etag=1))
    register.on("POST", "/staffing-blocks/batch",
                reply(200, {"created": 500, "updated": 0, "unchanged": 0, "deleted": 0, "notFound": 0}))
    block = StaffingBlock.model_validate(samples.staffing_block())

    async def scenario() -> None:
        async with async_client:
            assert [a.id async for a in async_client.list_appointments(location_id="loc")] == ["A-1001"]
            data = {k: v for k, v in samples.appointment().items() if k not in ("id", "version")}
            (result,) = await async_client.upsert_appointments([("ext-1", data)])
            assert not isinstance(result, Exception) and result.created
            total = await async_client.batch_staffing_blocks(
                upsert=[block.model_copy(update={"id": f"sb-{i}"}) for i in range(1000)])
            assert total.created == 1000

    asyncio.run(scenario())
    assert len(register.exchanges) == 4
