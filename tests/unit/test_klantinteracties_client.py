"""A create whose answer is lost may still land: the retry waits for it and holds the appointment's order
(found by the chaos suite: the retry's lookup ran first and created a second klantcontact)."""

from __future__ import annotations

import httpx
import pytest

from connectors.klantinteracties import KlantinteractiesClient, KlantinteractiesSettings
from hub.errors import TransientError


def client_failing_with(exc: type[httpx.TransportError]) -> KlantinteractiesClient:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)

    settings = KlantinteractiesSettings(enabled=True, timeout_seconds=7.0)
    return KlantinteractiesClient(settings, http=httpx.Client(transport=httpx.MockTransport(fail), timeout=7.0))


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_a_create_sent_but_unanswered_waits_two_timeouts_before_the_retry_looks_it_up(
        exc: type[httpx.TransportError]) -> None:
    # Without the wait, the retry's lookup ran before the first create landed and created a second klantcontact.
    with pytest.raises(TransientError) as raised:
        client_failing_with(exc).maak_klantcontact({})
    assert raised.value.retry_after == 14.0 and raised.value.in_flight


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_create_never_sent_is_retried_at_the_usual_pace(exc: type[httpx.TransportError]) -> None:
    with pytest.raises(TransientError) as raised:
        client_failing_with(exc).maak_klantcontact({})
    assert raised.value.retry_after is None and not raised.value.in_flight


def test_a_lookup_that_timed_out_is_retried_at_the_usual_pace() -> None:
    with pytest.raises(TransientError) as raised:
        client_failing_with(httpx.ReadTimeout).klantcontacten_for("A-1", "afspraak", "afsprakenregister")
    assert raised.value.retry_after is None
