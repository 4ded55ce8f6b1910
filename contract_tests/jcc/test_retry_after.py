"""The JCC SOAP client honours Retry-After: a short one is waited exactly, a long one goes back to the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests

from connectors.jcc import JccClient
from connectors.jcc.transport import AnswerTransport, HttpAnswer
from contract_tests.jcc import responses as r
from contract_tests.jcc.conftest import CannedSoap
from hub.errors import PermanentError, TransientError
from sandbox.jcc import JccSimulator
from sandbox.server import SandboxServer

ENDPOINT = "http://jcc.example.nl/soap11"


@pytest.fixture(scope="module")
def jcc() -> Iterator[tuple[JccSimulator, str]]:
    sim = JccSimulator(appointments=5, seed=1)
    server = SandboxServer(sim).start()
    try:
        yield sim, server.url(sim.prefix)
    finally:
        server.stop()


def _loopback_client(url: str, sleeps: list[float]) -> JccClient:
    return JccClient(f"{url}/?wsdl", endpoint_url=f"{url}/", max_retries=2, sleep=sleeps.append)


def test_a_503_with_retry_after_is_waited_exactly(jcc: tuple[JccSimulator, str]) -> None:
    sim, url = jcc
    sleeps: list[float] = []
    with _loopback_client(url, sleeps) as client:
        sim.set_faults(fail_next=[503], unavailable_retry_after_s=7)  # after the WSDL was read
        assert client.location_ids()
    assert sleeps == [7.0]
    sim.injector.reset()


def test_a_longer_retry_after_goes_back_to_the_caller(jcc: tuple[JccSimulator, str]) -> None:
    sim, url = jcc
    sleeps: list[float] = []
    with _loopback_client(url, sleeps) as client, pytest.raises(TransientError) as caught:
        sim.set_faults(fail_next=[429], retry_after_s=120)
        client.location_ids()
    assert caught.value.retry_after == 120.0
    assert sleeps == []
    sim.injector.reset()


class Unavailable(CannedSoap):
    """Answers every call with a SOAP fault, HTTP 503 and the given Retry-After."""

    def __init__(self, retry_after: str) -> None:
        super().__init__({})
        self.retry_after = retry_after

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.answers = {"getGovLocations": [r.FAULT]}
        response = super().send(request)
        response.status_code = 503
        response.headers["Retry-After"] = self.retry_after
        return response


def _canned_client(wsdl: Path, adapter: CannedSoap, sleeps: list[float]) -> JccClient:
    session = requests.Session()
    session.mount("http://", adapter)
    return JccClient(str(wsdl), endpoint_url=ENDPOINT, session=session, max_retries=1, sleep=sleeps.append)


def test_a_soap_fault_answered_503_is_transient_with_its_retry_after(project_wsdl: Path) -> None:
    sleeps: list[float] = []
    adapter = Unavailable("3")
    with pytest.raises(TransientError, match=r"SOAP fault \(Server\), HTTP 503") as caught:
        _canned_client(project_wsdl, adapter, sleeps).location_ids()
    assert caught.value.retry_after == 3.0
    assert sleeps == [3.0] and len(adapter.sent) == 2


def test_an_http_date_retry_after_an_hour_away_is_handed_back(project_wsdl: Path) -> None:
    sleeps: list[float] = []
    adapter = Unavailable(format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True))
    with pytest.raises(TransientError) as caught:
        _canned_client(project_wsdl, adapter, sleeps).location_ids()
    assert caught.value.retry_after is not None and 3000 < caught.value.retry_after <= 3600
    assert sleeps == [] and len(adapter.sent) == 1


def test_a_soap_fault_answered_500_stays_permanent(project_wsdl: Path) -> None:
    session = requests.Session()
    session.mount("http://", CannedSoap({"getGovLocations": [r.FAULT]}))
    client = JccClient(str(project_wsdl), endpoint_url=ENDPOINT, session=session, max_retries=1,
                       sleep=lambda _: None)
    with pytest.raises(PermanentError, match="SOAP fault"):
        client.location_ids()


def test_each_thread_sees_only_its_own_answer() -> None:
    session = requests.Session()
    adapter = Unavailable("5")
    session.mount("http://", adapter)
    transport = AnswerTransport(session, timeout=5, operation_timeout=5)
    transport.post(ENDPOINT, b"<x/>", {"SOAPAction": "getGovLocations"})
    seen: list[HttpAnswer | None] = []
    other = threading.Thread(target=lambda: seen.append(transport.take_answer()))
    other.start()
    other.join()
    assert seen == [None]
    assert transport.take_answer() == HttpAnswer(503, 5.0)
    assert transport.take_answer() is None
