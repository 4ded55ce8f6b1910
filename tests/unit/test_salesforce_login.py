"""Salesforce on the shared OAuth2 auth: the answer's instance URL reaches the client; round trips and logins."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.salesforce.conftest import INSTANCE, LOGIN, MockSalesforce, client_for
from hub.errors import PermanentError, TransientError

EMPTY = {"totalSize": 0, "done": True, "records": []}


def test_calls_go_to_the_instance_url_the_login_answered() -> None:
    mock = MockSalesforce()
    mock.on("GET", "/services/data/v60.0/query", 200, EMPTY)
    client = client_for(mock)
    client.query("SELECT Id FROM Account LIMIT 1")
    client.query("SELECT Id FROM Account LIMIT 1")
    assert [str(r.url).split("?")[0] for r in mock.requests] == [
        f"{LOGIN}/services/oauth2/token"] + [f"{INSTANCE}/services/data/v60.0/query"] * 2
    assert client.logins == 1 and client.round_trips == 2


def test_a_configured_instance_url_wins_over_the_answer() -> None:
    mock = MockSalesforce()
    mock.on("GET", "/services/data/v60.0/query", 200, EMPTY)
    client = client_for(mock, instance_url=LOGIN + "/")  # e.g. TIP proxying the REST calls
    client.query("SELECT Id FROM Account LIMIT 1")
    [data] = mock.data_requests()
    assert str(data.url).startswith(f"{LOGIN}/services/data/v60.0/query?")


def test_an_answer_without_instance_url_is_permanent() -> None:
    mock = MockSalesforce()
    mock.token_endpoint = lambda _r, token: httpx.Response(200, json={"access_token": token})
    client = client_for(mock)
    with pytest.raises(PermanentError, match=r"salesforce login failed: answer does not match .*no instance_url"):
        client.query("SELECT Id FROM Account LIMIT 1")
    assert mock.data_requests() == [] and client.logins == 0


def test_a_resend_after_401_is_a_round_trip_and_a_second_401_is_permanent() -> None:
    mock = MockSalesforce()
    mock.on("GET", "/services/data/v60.0/query", 401, [{"errorCode": "INVALID_SESSION_ID", "message": "x"}])
    client = client_for(mock)
    with pytest.raises(PermanentError, match="salesforce query failed: 401"):
        client.query("SELECT Id FROM Account LIMIT 1")
    assert client.logins == 2 and client.round_trips == 2


def test_a_refused_login_under_load_is_transient() -> None:
    mock = MockSalesforce()
    mock.token_endpoint = lambda _r, _t: httpx.Response(503, headers={"Retry-After": "7"})
    with pytest.raises(TransientError, match="salesforce login failed: 503 no error code") as error:
        client_for(mock).query("SELECT Id FROM Account LIMIT 1")
    assert error.value.retry_after == 7 and not error.value.in_flight
