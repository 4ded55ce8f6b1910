"""Salesforce transport failures: an unanswered write holds the appointment's order (found by the chaos suite)."""

from __future__ import annotations

import pytest
import requests

from connectors.salesforce.errors import error_for_transport


def failure(exc_type: type[requests.RequestException], method: str) -> requests.RequestException:
    request = requests.Request(method, "http://127.0.0.1:9/services/data/v60.0/composite").prepare()
    return exc_type("boom", request=request)


@pytest.mark.parametrize("exc_type", [requests.ReadTimeout, requests.ConnectionError])
def test_an_unanswered_write_is_in_flight_and_waits_two_timeouts(exc_type: type[requests.RequestException]) -> None:
    # Without this, the next event's upsert went first and the late one put an older status back.
    error = error_for_transport("composite", failure(exc_type, "POST"), timeout=15.0)
    assert error.in_flight and error.retry_after == 30.0


def test_a_write_that_never_connected_or_a_read_is_an_ordinary_retry() -> None:
    for exc in (failure(requests.ConnectTimeout, "POST"), failure(requests.ReadTimeout, "GET")):
        error = error_for_transport("composite", exc, timeout=15.0)
        assert not error.in_flight and error.retry_after is None
