"""The one place outbound peer requests get their trace context: every peer's HTTP client is built here.

`http_client` / `async_http_client` (httpx) and `traced_session` (requests: zeep for JCC, simple-salesforce)
wrap the transport, so each request to a peer — token requests included — runs in a client span (child of the
delivery's or job's span) and carries that span's `traceparent` (and `tracestate`), whoever builds the request.
"""

from __future__ import annotations

from typing import Any

import httpx
import requests
from requests.adapters import HTTPAdapter

from hub import tracing


class TracedTransport(httpx.BaseTransport):
    """An httpx transport that sends each request in a peer-call span with its `traceparent`."""

    def __init__(self, inner: httpx.BaseTransport, peer: str) -> None:
        self._inner = inner
        self.peer = peer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with tracing.peer_call_span(self.peer, request.method, request.url.host, request.url.port) as span:
            tracing.inject(request.headers, span)
            response = self._inner.handle_request(request)
            tracing.record_status(span, response.status_code)
            return response

    def close(self) -> None:
        self._inner.close()


class AsyncTracedTransport(httpx.AsyncBaseTransport):
    """The async twin of `TracedTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, peer: str) -> None:
        self._inner = inner
        self.peer = peer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with tracing.peer_call_span(self.peer, request.method, request.url.host, request.url.port) as span:
            tracing.inject(request.headers, span)
            response = await self._inner.handle_async_request(request)
            tracing.record_status(span, response.status_code)
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def http_client(peer: str, **kwargs: Any) -> httpx.Client:
    """An `httpx.Client` for one peer whose every request is traced (arguments as httpx takes them).

    httpx builds its transports as it always does (TLS, limits, HTTP(S)_PROXY and NO_PROXY from the environment);
    each is then wrapped, so a request through an environment proxy is traced too.
    """
    client = httpx.Client(**kwargs)
    client._transport = TracedTransport(client._transport, peer)
    client._mounts = {pattern: TracedTransport(t, peer) if t is not None else None
                      for pattern, t in client._mounts.items()}
    return client


def async_http_client(peer: str, **kwargs: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` for one peer whose every request is traced (as `http_client`)."""
    client = httpx.AsyncClient(**kwargs)
    client._transport = AsyncTracedTransport(client._transport, peer)
    client._mounts = {pattern: AsyncTracedTransport(t, peer) if t is not None else None
                      for pattern, t in client._mounts.items()}
    return client


class TracedAdapter(HTTPAdapter):
    """A requests adapter that sends each request in a peer-call span with its `traceparent`."""

    def __init__(self, peer: str, **kwargs: Any) -> None:
        self.peer = peer
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = httpx.URL(request.url or "")
        with tracing.peer_call_span(self.peer, request.method or "GET", url.host, url.port) as span:
            tracing.inject(request.headers, span)  # type: ignore[arg-type]
            response = super().send(request, *args, **kwargs)
            tracing.record_status(span, response.status_code)
            return response


def traced_session(peer: str, session: requests.Session | None = None, **adapter_kwargs: Any) -> requests.Session:
    """A requests session (new, or the one given) whose every request is traced; `adapter_kwargs` size its pool."""
    session = session if session is not None else requests.Session()
    adapter = TracedAdapter(peer, **adapter_kwargs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
