"""The JCC connector against the operations and types of `GenericGuidanceSystem2` (offline).

The project's WSDL must agree with the published one for every operation the conversion uses (when
the published file is at hand), and the client must send what the published WSDL describes and read
answers shaped by its types, including the vendor quirks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from lxml import etree
from zeep import Client

from connectors.jcc import SERVICE_BINDING, JccClient, safe_settings
from contract_tests.jcc import responses as r
from contract_tests.jcc.conftest import CannedSoap
from hub.errors import PermanentError, TransientError

USED = ("getGovLocations", "getGovLocationDetails", "getGovAvailableProducts", "getGovAppointments",
        "getGovAppointmentExtendedDetails")
Canned = Callable[[dict[str, list[bytes]]], tuple[requests.Session, CannedSoap]]
ENDPOINT = "http://jcc.example.nl/soap11"


def _operation(client: Client, name: str) -> tuple[str, str, str]:
    op = client.wsdl.bindings[SERVICE_BINDING].get(name)
    return op.soapaction, op.input.signature(), op.output.signature()


def test_project_wsdl_offers_every_operation_the_conversion_uses(project_wsdl: Path) -> None:
    client = Client(str(project_wsdl), settings=safe_settings())
    ops = set(client.wsdl.bindings[SERVICE_BINDING].all())
    assert set(USED) <= ops


def test_project_wsdl_matches_the_published_operations_and_types(project_wsdl: Path, published_wsdl: Path) -> None:
    ours = Client(str(project_wsdl), settings=safe_settings())
    theirs = Client(str(published_wsdl), settings=safe_settings())
    for name in USED:
        assert _operation(ours, name) == _operation(theirs, name), name
    for type_name in ("AppointmentType", "AppointmentFullDetaildWithFullCustomerDetailsType", "ProductType",
                      "LocationDetailsType"):
        qname = f"{{http://www.genericCBS.org/GenericCBS/}}{type_name}"
        assert ours.get_type(qname).signature() == theirs.get_type(qname).signature(), type_name


def _client(wsdl: Path, canned: Canned, answers: dict[str, list[bytes]]) -> tuple[JccClient, CannedSoap]:
    session, adapter = canned(answers)
    return JccClient(str(wsdl), endpoint_url=ENDPOINT, session=session, max_retries=1, sleep=lambda _: None), adapter


ANSWERS = {"getGovLocations": [r.LOCATIONS], "getGovLocationDetails": [r.LOCATION_DETAILS],
           "getGovAvailableProducts": [r.PRODUCTS], "getGovAppointments": [r.APPOINTMENTS],
           "getGovAppointmentExtendedDetails": [r.EXTENDED, r.EXTENDED_MISSING_FIELDS]}


def test_reads_reference_data_and_appointments_with_quirks_resolved(project_wsdl: Path, canned: Canned) -> None:
    client, _ = _client(project_wsdl, canned, {k: list(v) for k, v in ANSWERS.items()})
    assert client.location_ids() == ["1", "2"]
    assert client.location("1").description == "Stadswinkel Koningsplein"
    assert [(p.product_id, p.code) for p in client.products()] == [("1", "PASAAN"), ("5", "RIJAAN")]
    ids = client.appointment_ids(date(2027, 3, 28), "1")
    assert ids == ["5001", "5002"]
    (full, digest), (sparse, _) = list(client.appointments(ids, "1", concurrency=1))
    assert [(p.product_id, p.quantity) for p in full.products] == [("1", 2), ("2", 1)]
    assert full.start is not None and full.start.utcoffset() == timedelta(hours=2) and len(digest) == 64
    assert sparse.client_mail is None and sparse.client_birth_date is None and sparse.client_id is None
    assert sparse.start is not None and sparse.start.utcoffset() == timedelta(hours=1)


def test_empty_answers_are_empty_not_errors(project_wsdl: Path, canned: Canned) -> None:
    client, _ = _client(project_wsdl, canned, {"getGovLocations": [r.LOCATIONS_EMPTY],
                                               "getGovAppointments": [r.APPOINTMENTS_EMPTY],
                                               "getGovAppointmentExtendedDetails": [r.EXTENDED_EMPTY]})
    assert client.location_ids() == []
    assert client.appointment_ids(date(2027, 3, 28), "1") == []
    record, _ = client.appointment("5003", "1")
    assert record.complete is False and record.app_id == "5003"


def test_requests_are_what_the_published_wsdl_describes(project_wsdl: Path, published_wsdl: Path,
                                                        canned: Canned) -> None:
    client, adapter = _client(project_wsdl, canned, {k: list(v) for k, v in ANSWERS.items()})
    client.appointment_ids(date(2027, 3, 28), "1")
    client.appointment("5001")
    theirs = Client(str(published_wsdl), settings=safe_settings())
    service = theirs.create_service(SERVICE_BINDING, ENDPOINT)
    expected = [("getGovAppointments", theirs.create_message(service, "getGovAppointments", day=date(2027, 3, 28),
                                                             locationID="1")),
                ("getGovAppointmentExtendedDetails",
                 theirs.create_message(service, "getGovAppointmentExtendedDetails", appID="5001"))]
    for (action, body), (name, message) in zip(adapter.sent, expected, strict=True):
        assert action == name
        assert etree.tostring(etree.fromstring(body), method="c14n") == etree.tostring(message, method="c14n")


def test_published_wsdl_reads_the_same_answers(published_wsdl: Path, canned: Canned) -> None:
    client, _ = _client(published_wsdl, canned, {k: list(v) for k, v in ANSWERS.items()})
    (record, _), = client.appointments(["5001"], concurrency=1)
    assert [(p.product_id, p.quantity) for p in record.products] == [("1", 2), ("2", 1)]


def test_faults_are_permanent_and_server_errors_transient(project_wsdl: Path, canned: Canned) -> None:
    client, _ = _client(project_wsdl, canned, {"getGovLocations": [r.FAULT]})
    with pytest.raises(PermanentError, match="jcc getGovLocations failed: SOAP fault"):
        client.location_ids()
    session = requests.Session()

    class Down(CannedSoap):
        def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
            self.sent.append(("", b""))
            raise requests.ConnectionError("connection refused")

    down = Down({})
    session.mount("http://", down)
    flaky = JccClient(str(project_wsdl), endpoint_url=ENDPOINT, session=session, max_retries=2,
                      sleep=lambda _: None)
    with pytest.raises(TransientError, match="jcc getGovLocations failed: ConnectionError"):
        flaky.location_ids()
    assert len(down.sent) == 3  # first try + 2 retries
