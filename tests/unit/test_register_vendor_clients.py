"""JCC G-Plan REST and Qmatic clients: every failure becomes the register port's hub-level error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from connectors.jcc_rest.adapter import JccRestRegister
from connectors.jcc_rest.client import JccRestClient
from connectors.jcc_rest.settings import JccRestSettings
from connectors.qmatic.adapter import QmaticRegister
from connectors.qmatic.client import QmaticClient
from connectors.qmatic.settings import QmaticSettings
from hub.errors import PermanentError, TransientError
from hub.ports.register_errors import (
    AuthFailedError,
    ConflictError,
    NotFoundError,
    RegisterPermanentError,
    RegisterTransientError,
    UnexpectedShapeError,
    UnreachableError,
    UnsupportedError,
)

JCC = "https://jcc.example.nl/G-Plan/api/api/warp/v1"
QMATIC = "https://qmatic.example.nl/calendar-backend/public/api"
GUID = "5bdfc8fb-eba8-4050-9b8c-28e79f65e436"
ROOT = Path(__file__).resolve().parents[2] / "contract_tests"


def fixture(vendor: str, name: str) -> Any:
    return json.loads((ROOT / vendor / "fixtures" / f"{name}.json").read_text(encoding="utf-8"))


def jcc_register(retries: int = 0, sleeps: list[float] | None = None) -> JccRestRegister:
    settings = JccRestSettings(base_url=JCC, max_retries=retries)
    return JccRestRegister(settings, JccRestClient(settings, sleep=(sleeps.append if sleeps is not None else
                                                                    lambda _: None)))


def qmatic_register() -> QmaticRegister:
    settings = QmaticSettings(base_url=QMATIC, max_retries=0)
    return QmaticRegister(settings, QmaticClient(settings))


@pytest.fixture
def jcc_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=JCC, assert_all_called=False) as router:
        router.post("/connect/token").respond(200, json={"access_token": "t1", "expires_in": 3600})
        yield router


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthFailedError), (403, AuthFailedError), (404, NotFoundError), (409, ConflictError),
    (400, RegisterPermanentError), (429, RegisterTransientError), (500, RegisterTransientError),
    (503, RegisterTransientError)])
def test_jcc_status_becomes_a_port_error(jcc_mock: respx.MockRouter, status: int,
                                         error: type[Exception]) -> None:
    jcc_mock.get("/appointment").respond(status, json=fixture("jcc_rest", "error_500") | {"status": status})
    with pytest.raises(error) as caught:
        jcc_register().get_appointment(GUID)
    assert str(caught.value).startswith(f"register jcc-rest get appointment failed: {status}")
    assert isinstance(caught.value, TransientError if status in (429, 500, 503) else PermanentError)


def test_jcc_retry_after_is_honoured(jcc_mock: respx.MockRouter) -> None:
    jcc_mock.get("/appointment").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(200, json=fixture("jcc_rest", "appointment"))])
    sleeps: list[float] = []
    assert jcc_register(retries=2, sleeps=sleeps).get_appointment(GUID).id == GUID
    assert sleeps == [3.0]
    jcc_mock.get("/location").respond(503, headers={"Retry-After": "120"})
    with pytest.raises(RegisterTransientError) as caught:  # too long to wait in-process: the runtime waits
        jcc_register(retries=2).list_locations()
    assert caught.value.retry_after == 120.0


def test_jcc_bad_credentials_refresh_and_unexpected_shape() -> None:
    with respx.mock(base_url=JCC, assert_all_called=False) as router:
        router.post("/connect/token").respond(400, json={"error": "invalid_client"})
        with pytest.raises(AuthFailedError, match="token failed: 400 invalid_client"):
            jcc_register().authenticate()
    with respx.mock(base_url=JCC, assert_all_called=False) as router:
        tokens = router.post("/connect/token").mock(side_effect=[
            httpx.Response(200, json={"access_token": "old"}), httpx.Response(200, json={"access_token": "new"})])
        route = router.get("/location").mock(side_effect=lambda request: httpx.Response(
            200 if request.headers["Authorization"] == "Bearer new" else 401, json=[]))
        assert jcc_register().list_locations() == []
        assert tokens.call_count == 2 and route.call_count == 2
        assert route.calls[-1].request.headers["language"] == "nl"
    with respx.mock(base_url=JCC, assert_all_called=False) as router:
        router.post("/connect/token").respond(200, json={"access_token": "t"})
        broken = fixture("jcc_rest", "appointment")
        del broken["startDateTime"]
        router.get("/appointment").respond(200, json=broken)
        with pytest.raises(UnexpectedShapeError) as caught:
            jcc_register().get_appointment(GUID)
        assert caught.value.field == "startDateTime"
        router.get("/activity/listforappointment").respond(200, json=[{"id": "a", "appointmentDuration": "long"}])
        with pytest.raises(UnexpectedShapeError) as listed:
            jcc_register().list_products()
        assert listed.value.field == "[0].appointmentDuration"


def test_jcc_transport_failures(jcc_mock: respx.MockRouter) -> None:
    jcc_mock.get("/location").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(UnreachableError, match="unreachable"):
        jcc_register().list_locations()
    jcc_mock.get("/appointment").respond(200, json=fixture("jcc_rest", "appointment"))
    jcc_mock.delete("/appointment").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RegisterTransientError) as caught:  # sent, unanswered: may still land
        jcc_register().cancel_appointment(GUID)
    assert caught.value.in_flight and not isinstance(caught.value, UnreachableError)


def test_jcc_capabilities_are_honest_and_unsupported_does_no_io() -> None:
    register = jcc_register()
    with respx.mock(assert_all_called=False) as router:
        for call in (lambda: register.complete_appointment(GUID), lambda: register.close_appointment(GUID),
                     lambda: register.find_by_case_reference("Z-1"), lambda: register.batch_staffing_blocks(),
                     lambda: list(register.list_appointments(updated_since=None))):
            with pytest.raises(UnsupportedError, match="not supported by register jcc-rest"):
                call()
        assert not router.calls


@pytest.mark.parametrize(("status", "error"), [(401, AuthFailedError), (404, NotFoundError),
                                               (429, RegisterTransientError)])
def test_qmatic_status_becomes_a_port_error(status: int, error: type[Exception]) -> None:
    with respx.mock(base_url=QMATIC, assert_all_called=False) as router:
        route = router.get("/v1/appointments/abc").respond(status, json={"msg": "No"})
        with pytest.raises(error, match=f"get appointment failed: {status} No"):
            qmatic_register().get_appointment("abc")
        assert route.calls[0].request.headers["X-Api-Key"] == "sandbox-key"


def test_qmatic_unexpected_shape_names_the_field() -> None:
    with respx.mock(base_url=QMATIC, assert_all_called=False) as router:
        router.get("/v1/branches").respond(200, json={"branches": []})
        with pytest.raises(UnexpectedShapeError) as caught:
            qmatic_register().list_locations()
        assert caught.value.field == "branchList"
        envelope = fixture("qmatic", "appointment")
        envelope["appointment"]["status"] = 7
        router.get("/v1/appointments/abc").respond(200, json=envelope)
        with pytest.raises(UnexpectedShapeError) as status:
            qmatic_register().get_appointment("abc")
        assert status.value.field == "status"


def test_qmatic_path_segments_are_escaped() -> None:
    with respx.mock(base_url=QMATIC, assert_all_called=False) as router:
        route = router.get(url__regex=r".*").respond(404, json={"msg": "No"})
        with pytest.raises(NotFoundError):
            qmatic_register().get_appointment("../v1/services")
        assert route.calls[0].request.url.raw_path.endswith(b"/v1/appointments/..%2Fv1%2Fservices")
