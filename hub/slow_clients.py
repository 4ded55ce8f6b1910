"""uvicorn's HTTP/1.1 (h11) protocol with deadlines for the request head and body and a bound on connections.

uvicorn closes idle keep-alive connections but waits for ever on a client that sends its headers or its body
a byte at a time, and accepts every connection. `bounded_protocol(limits)` is the protocol class `serve` runs:
a request head must be complete within `header_timeout_seconds` of its first byte (408, then closed), a body
within `body_timeout_seconds` of its head (closed: the handler sees the client go away and stores nothing), and
a connection beyond `max_connections` is closed at once. Each close counts in a metric; nothing is logged per
client (an attack would flood the log).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import h11
from prometheus_client import Counter
from uvicorn.protocols.http.h11_impl import H11Protocol

from hub.http_limits import HttpLimits

CLOSED = Counter("afsprakenhub_http_connections_closed_total",
                 "Connections the server closed on a client: slow request head or body, too many connections",
                 ["reason"])
_TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class BoundedH11Protocol(H11Protocol):
    """H11Protocol plus a deadline per phase of reading a request and a cap on open connections."""

    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            CLOSED.labels(reason="too-many-connections").inc()
            transport.close()
            return
        self._watch("head", self.limits.header_timeout_seconds)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._phase != "body":
                self._watch("body", self.limits.body_timeout_seconds)
        elif state is h11.IDLE:  # part of a request head (the first bytes after a keep-alive pause, too)
            if self._phase != "head":
                self._watch("head", self.limits.header_timeout_seconds)
        else:  # the whole request is in (or the connection is ending): the handler's time is not bounded here
            self._cancel()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _watch(self, phase: str, seconds: float) -> None:
        self._cancel()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired, phase)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _expired(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        CLOSED.labels(reason=f"slow-{phase}").inc()
        if phase == "head" and self.conn.our_state is h11.IDLE:
            self.transport.write(_TIMEOUT_408)
        self.transport.close()


def bounded_protocol(limits: HttpLimits) -> type[BoundedH11Protocol]:
    """The protocol class for uvicorn's `http=` with these limits."""
    return type("BoundedH11Protocol", (BoundedH11Protocol,), {"limits": limits})


def uvicorn_options(limits: HttpLimits) -> dict[str, Any]:
    """uvicorn.Config keyword arguments that apply `limits`."""
    return {"http": bounded_protocol(limits), "timeout_keep_alive": limits.keep_alive_seconds}


__all__ = ["CLOSED", "BoundedH11Protocol", "bounded_protocol", "uvicorn_options"]
