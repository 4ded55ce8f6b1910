"""The one place outbound peer requests get their trace context: every peer's HTTP client is built here.

`http_client` / `async_http_client` (httpx) and `traced_session` (requests: zeep for JCC)
wrap the transport, so each request to a peer — token requests included — runs in a client span (child of the
delivery's or job's span) and carries that span's `traceparent` (and `tracestate`), whoever builds the request.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx
import requests
from requests.adapters import HTTPAdapter

from hub import tracing

#: `httpx.Client` arguments that shape its transports (TLS, pool, HTTP/2, proxies); they go to the inner client.
TRANSPORT_ARGUMENTS = frozenset({"verify", "cert", "trust_env", "http1", "http2", "limits", "proxy", "mounts",
                                 "transport"})


@functools.cache
def default_tls() -> ssl.SSLContext:
    """httpx's default TLS context (its CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR), built once per process:
    building one loads the CA bundle, tens of ms of CPU that a worker paid per peer on first use (issue 25)."""
    return httpx.create_ssl_context(verify=True, trust_env=True)


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the inner client's transport arguments, the outer client's request arguments); a client with httpx's
    default TLS settings gets the shared context (`default_tls`; never one a client certificate is loaded into)."""
    inner = {key: value for key, value in kwargs.items() if key in TRANSPORT_ARGUMENTS}
    if inner.get("verify", True) is True and "cert" not in inner and inner.get("trust_env", True) \
            and "transport" not in inner:
        inner["verify"] = default_tls()
    return inner, {key: value for key, value in kwargs.items() if key not in TRANSPORT_ARGUMENTS}


class TracedTransport(httpx.BaseTransport):
    """An httpx transport that sends each request through an inner client, in a peer-call span with its `traceparent`.

    The inner client is built by httpx from the transport arguments, so it keeps httpx's own choice of
    transport per URL (TLS, limits, HTTP(S)_PROXY and NO_PROXY from the environment); the outer client
    does the rest (base URL, headers, auth, redirects, timeouts, event hooks).
    """

    def __init__(self, inner: httpx.Client, peer: str) -> None:
        self._inner = inner
        self.peer = peer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with tracing.peer_call_span(self.peer, request.method, request.url.host, request.url.port) as span:
            tracing.inject(request.headers, span)
            response = self._inner.send(request, stream=True)
            tracing.record_status(span, response.status_code)
            return response

    def close(self) -> None:
        self._inner.close()


class AsyncTracedTransport(httpx.AsyncBaseTransport):
    """The async twin of `TracedTransport`."""

    def __init__(self, inner: httpx.AsyncClient, peer: str) -> None:
        self._inner = inner
        self.peer = peer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with tracing.peer_call_span(self.peer, request.method, request.url.host, request.url.port) as span:
            tracing.inject(request.headers, span)
            response = await self._inner.send(request, stream=True)
            tracing.record_status(span, response.status_code)
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def http_client(peer: str, **kwargs: Any) -> httpx.Client:
    """An `httpx.Client` for one peer whose every request is traced (arguments as httpx takes them).

    The transport arguments (`verify`, `limits`, `proxy`, …) build an inner client as httpx always does; the
    returned client sends through it with `TracedTransport`, so a request through an environment proxy is
    traced too. Only public httpx API: no transport is swapped after construction.
    """
    inner, outer = _split(kwargs)
    return httpx.Client(transport=TracedTransport(httpx.Client(**inner), peer), **outer)


def async_http_client(peer: str, **kwargs: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` for one peer whose every request is traced (as `http_client`)."""
    inner, outer = _split(kwargs)
    return httpx.AsyncClient(transport=AsyncTracedTransport(httpx.AsyncClient(**inner), peer), **outer)


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
