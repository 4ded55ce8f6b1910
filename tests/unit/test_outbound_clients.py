"""hub.outbound's httpx clients: transport arguments reach the inner client, the rest the outer one, each request once.

No network: the inner client's transport is an `httpx.MockTransport` (a transport argument like any other).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from hub import tracing
from hub.outbound import TRANSPORT_ARGUMENTS, _split, async_http_client, default_tls, http_client
from tests.support.spans import Spans, collecting

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(name="spans")
def spans_fixture() -> Iterator[Spans]:
    yield from collecting()


class Peer:
    """A mock peer that records what reached it."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path.endswith("/moved"):
            return httpx.Response(302, headers={"Location": "/api/here"})
        return httpx.Response(200, json={"path": request.url.path})


def test_a_request_goes_once_through_the_transport_given_with_the_outer_clients_settings(spans: Spans) -> None:
    peer, hooked = Peer(), []
    with tracing.span_in("deliver test", parent=f"00-{TRACE}-00f067aa0ba902b7-01"), http_client(
            "peer-m", transport=httpx.MockTransport(peer), base_url="http://peer.example.nl/api",
            headers={"X-Client": "hub"}, follow_redirects=True,
            event_hooks={"request": [lambda r: hooked.append(str(r.url))]}) as client:
        response = client.get("/moved")
    assert response.json() == {"path": "/api/here"}
    assert [str(r.url) for r in peer.seen] == ["http://peer.example.nl/api/moved", "http://peer.example.nl/api/here"]
    assert hooked == [str(r.url) for r in peer.seen]  # the outer client's hooks, once per request
    assert all(r.headers["X-Client"] == "hub" for r in peer.seen)
    sent = [r.headers["traceparent"] for r in peer.seen]
    ids = [f"00-{TRACE}-{s.context.span_id:016x}-01" for s in spans.named("peer-m GET") if s.context]
    assert len(sent) == 2 and sorted(sent) == sorted(ids)


def test_the_async_client_does_the_same(spans: Spans) -> None:
    peer = Peer()

    async def fetch() -> httpx.Response:
        async with async_http_client("peer-n", transport=httpx.MockTransport(peer),
                                     base_url="http://peer.example.nl", headers={"X-Client": "hub"}) as client:
            return await client.get("/a")

    response = asyncio.run(fetch())
    assert response.json() == {"path": "/a"}
    [request] = peer.seen
    assert request.headers["X-Client"] == "hub" and "traceparent" in request.headers
    assert len(spans.named("peer-n GET")) == 1


def test_the_transport_arguments_are_httpx_clients_own() -> None:
    """Each name the split sends to the inner client is an `httpx.Client` argument, so none is silently lost."""
    import inspect

    for client in (httpx.Client, httpx.AsyncClient):
        assert TRANSPORT_ARGUMENTS <= set(inspect.signature(client).parameters)


def test_clients_with_default_tls_share_one_context_and_others_keep_theirs() -> None:
    shared = _split({"timeout": 5})[0]["verify"]
    assert shared is default_tls() and _split({"verify": True})[0]["verify"] is shared  # built once per process
    assert _split({"verify": False})[0]["verify"] is False
    assert "verify" not in _split({"cert": "client.pem"})[0]  # a client certificate is loaded into its own context
    assert "verify" not in _split({"trust_env": False})[0]
