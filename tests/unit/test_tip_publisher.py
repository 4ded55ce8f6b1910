"""The TIP publisher: Standard Webhooks signatures, retries with backoff and Retry-After, error classes."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from connectors.tip import TipPublisher, TipSettings, encode, sign
from hub.errors import PermanentError, TransientError
from hub.logging import bind_correlation
from hub.model import CloudEvent
from sandbox.tip.receiver import verify

URL = "http://127.0.0.1:8701/tip/api/v1/events"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EVENT = CloudEvent(specversion="1.0", id="k2b-gereed-K2B-1", source="urn:nl:tilburg:afsprakenhub",
                   type="nl.tilburg.reisdocumenten.document.gereed", subject="K2B-1",
                   data={"documentNumberMasked": "******X7Q"})


def publisher(sleeps: list[float], max_retries: int = 3) -> TipPublisher:
    return TipPublisher(TipSettings(events_url=URL, secret=SECRET, max_retries=max_retries),
                        sleep=sleeps.append, clock=lambda: 1_800_000_000)


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    body = b'{"test": 2432232314}'
    assert sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@respx.mock
def test_publish_signs_the_exact_body_and_the_receiver_verifies_it() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(204))
    with bind_correlation("corr-1"):
        publisher([]).publish(EVENT)
    request = route.calls.last.request
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["webhook-id"] == EVENT.id and headers["x-correlation-id"] == "corr-1"
    assert request.content == encode(EVENT)
    assert verify(SECRET, headers, request.content, now=1_800_000_000) == EVENT.id
    with pytest.raises(ValueError, match="signature"):
        verify(SECRET, headers, request.content.replace(b"X7Q", b"X7R"), now=1_800_000_000)
    with pytest.raises(ValueError, match="tolerance"):
        verify(SECRET, headers, request.content, now=1_800_000_000 + 301)
    assert json.loads(request.content)["data"] == {"documentNumberMasked": "******X7Q"}


@respx.mock
def test_transient_failures_are_retried_with_backoff_and_retry_after() -> None:
    route = respx.post(URL).mock(side_effect=[httpx.Response(503), httpx.Response(429, headers={"Retry-After": "7"}),
                                              httpx.ConnectError("refused"), httpx.Response(202)])
    sleeps: list[float] = []
    publisher(sleeps).publish(EVENT)
    assert route.call_count == 4 and len(sleeps) == 3 and sleeps[1] == 7
    ids = {c.request.headers["webhook-id"] for c in route.calls}
    assert ids == {EVENT.id}  # the same id every attempt: TIP can drop a repeat


@respx.mock
def test_transient_failures_give_up_after_max_retries() -> None:
    respx.post(URL).mock(return_value=httpx.Response(502))
    sleeps: list[float] = []
    with pytest.raises(TransientError, match="tip publish failed: 502"):
        publisher(sleeps, max_retries=2).publish(EVENT)
    assert len(sleeps) == 2


@respx.mock
def test_long_retry_after_is_left_to_the_caller() -> None:
    respx.post(URL).mock(return_value=httpx.Response(503, headers={"Retry-After": "600"}))
    with pytest.raises(TransientError) as caught:
        publisher([]).publish(EVENT)
    assert caught.value.retry_after == 600


@respx.mock
def test_client_errors_are_permanent_and_not_retried() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(400, json={"title": "bad event"}))
    with pytest.raises(PermanentError, match="tip publish failed: 400"):
        publisher([]).publish(EVENT)
    assert route.call_count == 1
