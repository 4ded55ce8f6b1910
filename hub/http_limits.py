"""`HttpLimits`: how long `serve` waits for a client, how many connections it keeps, which parser it runs
(AFSPRAKENHUB_HTTP__…).

Free of imports from the rest of the product, because `hub.settings` imports it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HttpLimits(BaseModel):
    """Bounds on slow or idle clients, so a few hundred of them cannot hold the API (slowloris, slow bodies)."""

    #: from the first byte of a request until its head (request line and headers) is complete
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    #: from the end of the head until the whole body has arrived
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    #: an idle keep-alive connection between requests (uvicorn's timeout_keep_alive)
    keep_alive_seconds: float = Field(default=5.0, gt=0)
    #: open connections at most; more are closed as soon as they are accepted
    max_connections: int = Field(default=1000, ge=1)
    #: the HTTP/1.1 parser: httptools (C, llhttp) when installed, or h11 (pure Python); same limits either way
    parser: Literal["auto", "httptools", "h11"] = "auto"


__all__ = ["HttpLimits"]
