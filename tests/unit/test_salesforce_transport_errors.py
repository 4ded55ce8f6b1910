"""Salesforce transport failures: an unanswered write holds the appointment's order (found by the chaos suite)."""

from __future__ import annotations

import httpx
import pytest

from connectors.salesforce.errors import error_for_transport


def failure(exc_type: type[httpx.TransportError], method: str) -> httpx.TransportError:
    return exc_type("boom", request=httpx.Request(method, "http://127.0.0.1:9/services/data/v60.0/composite"))


@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError])
def test_an_unanswered_write_is_in_flight_and_waits_two_timeouts(exc_type: type[httpx.TransportError]) -> None:
    # Without this, the next event's upsert went first and the late one put an older status back.
    error = error_for_transport("composite", failure(exc_type, "POST"), timeout=15.0)
    assert error.in_flight and error.retry_after == 30.0


def test_a_write_that_never_connected_a_read_or_a_login_is_an_ordinary_retry() -> None:
    for call, exc in (("composite", failure(httpx.ConnectTimeout, "POST")),
                      ("composite", failure(httpx.ConnectError, "POST")),
                      ("composite", failure(httpx.ReadTimeout, "GET")),
                      ("login", failure(httpx.ReadTimeout, "POST"))):
        error = error_for_transport(call, exc, timeout=15.0)
        assert not error.in_flight and error.retry_after is None
