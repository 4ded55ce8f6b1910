"""One client lifecycle for connectors: `close()`/`with`, and for HTTP a traced httpx client it made (and closes)."""

from __future__ import annotations

from typing import Any

import httpx

from hub.closing import AsyncClosing, Closing
from hub.outbound import async_http_client, http_client


class HttpLifecycle(Closing):
    """Holds `self._http` for peer `peer`: built by `hub.outbound` (traced) unless the caller passes one.

    `close()` (or leaving `with`) closes only a client this object built; a passed client stays open.
    """

    def __init__(self, peer: str, http: httpx.Client | None = None, **client_options: Any) -> None:
        self._http = http if http is not None else http_client(peer, **client_options)
        self._owns_http = http is None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()


class AsyncHttpLifecycle(AsyncClosing):
    """The async twin of `HttpLifecycle` (`aclose()`, `async with`); `owns_http` overrides who closes."""

    def __init__(self, peer: str, http: httpx.AsyncClient | None = None, *, owns_http: bool | None = None,
                 **client_options: Any) -> None:
        self._http = http if http is not None else async_http_client(peer, **client_options)
        self._owns_http = http is None if owns_http is None else owns_http

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


__all__ = ["AsyncHttpLifecycle", "Closing", "HttpLifecycle"]
