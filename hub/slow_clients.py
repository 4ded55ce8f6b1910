"""uvicorn's HTTP/1.1 protocols with deadlines for the request head and body and a bound on connections.

uvicorn closes idle keep-alive connections but waits for ever on a client that sends its headers or its body
a byte at a time, and accepts every connection. `bounded_protocol(limits)` is the protocol class `serve` runs
(httptools' C parser when installed, else h11's pure-Python one; same deadlines and bound either way):
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

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: h11 only
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from hub.http_limits import HttpLimits

CLOSED = Counter("afsprakenhub_http_connections_closed_total",
                 "Connections the server closed on a client: slow request head or body, too many connections",
                 ["reason"])
_TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _Deadlines:
    """The head/body deadlines and the connection bound, for a protocol that calls these hooks."""

    limits: ClassVar[HttpLimits] = HttpLimits()
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    connections: set[Any]
    _deadline: asyncio.TimerHandle | None = None
    _phase: str | None = None

    def _admit(self) -> bool:
        """False (and the connection closed) beyond `max_connections`; else the head's deadline starts."""
        if len(self.connections) > self.limits.max_connections:
            CLOSED.labels(reason="too-many-connections").inc()
            self.transport.close()
            return False
        self._watch("head", self.limits.header_timeout_seconds)
        return True

    def _watch(self, phase: str, seconds: float) -> None:
        self._cancel()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired, phase)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _idle(self) -> bool:
        """Nothing of a response is on its way (a 408 may be written)."""
        raise NotImplementedError

    def _expired(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        CLOSED.labels(reason=f"slow-{phase}").inc()
        if phase == "head" and self._idle():
            self.transport.write(_TIMEOUT_408)
        self.transport.close()


class BoundedH11Protocol(_Deadlines, H11Protocol):
    """H11Protocol plus a deadline per phase of reading a request and a cap on open connections."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._admit()

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

    def _idle(self) -> bool:
        return self.conn.our_state is h11.IDLE


if HttpToolsProtocol is not None:
    class BoundedHttpToolsProtocol(_Deadlines, HttpToolsProtocol):
        """HttpToolsProtocol (llhttp, C) with the same deadlines: a head from its first byte (llhttp's message
        begin) until its headers are complete, a body from there until the message is complete."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._admit()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._phase != "head":
                self._watch("head", self.limits.header_timeout_seconds)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._watch("body", self.limits.body_timeout_seconds)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._cancel()  # the whole request is in: the handler's time is not bounded here

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            super().connection_lost(exc)

        def _idle(self) -> bool:
            return self.cycle is None or self.cycle.response_complete


def bounded_protocol(limits: HttpLimits, *, parser: str = "auto") -> type[Any]:
    """The protocol class for uvicorn's `http=` with these limits: httptools when installed (`parser="auto"`)
    or asked for, else h11."""
    if parser in ("auto", "httptools") and HttpToolsProtocol is not None:
        return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), {"limits": limits})
    if parser == "httptools":
        raise RuntimeError("httptools is not installed")
    return type("BoundedH11Protocol", (BoundedH11Protocol,), {"limits": limits})


def event_loop() -> str:
    """uvicorn's `loop=`: uvloop when installed (a faster event loop in C), else asyncio's."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def uvicorn_options(limits: HttpLimits) -> dict[str, Any]:
    """uvicorn.Config keyword arguments that apply `limits`, with the fastest parser and loop installed."""
    return {"http": bounded_protocol(limits, parser=limits.parser), "loop": event_loop(),
            "timeout_keep_alive": limits.keep_alive_seconds}


__all__ = ["CLOSED", "BoundedH11Protocol", "bounded_protocol", "event_loop", "uvicorn_options"]
