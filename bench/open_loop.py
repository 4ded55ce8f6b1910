"""Open-loop load at a constant rate (wrk2-style): requests start on a fixed schedule, whatever the answers do.

Each request's latency counts from the moment the schedule said it should be sent, not from when it was sent, so
a server that falls behind is charged for the queue it builds (no coordinated omission). The generator reports
how well it kept the schedule (the rate it actually sent at and its own send lag), so a reader can tell a slow
server from a late client. Raw keep-alive sockets and one selector: per request a send and a few reads.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenLoopResult:
    """Latencies (s, from the intended send time) and how well the schedule was kept."""

    latencies: list[float]
    sent_rate: float  #: requests per second actually sent (first to last send)
    send_lags: list[float]  #: actual send - intended send (s): the generator's own lateness plus queueing
    waited_for_connection: int  #: requests that found every connection busy and queued behind one
    failures: int  #: answers other than the expected status


class _Conn:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.request = -1


def _complete(buffer: bytes) -> int:
    """The length of the first complete HTTP response in `buffer` (Content-Length framed), or 0."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return 0
    length = 0
    for line in buffer[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    total = head_end + 4 + length
    return total if len(buffer) >= total else 0


def open_loop(port: int, request: Callable[[int], bytes], rate: float, seconds: float, *,
              connections: int = 64, expect: bytes = b"HTTP/1.1 202") -> OpenLoopResult:
    """Send `rate * seconds` requests (`request(i)` is the i-th, raw HTTP/1.1 with keep-alive) on the schedule
    start + i / rate over up to `connections` connections; wait for every answer."""
    total = int(rate * seconds)
    conns = [_Conn(port) for _ in range(connections)]
    idle: deque[_Conn] = deque(conns)
    waiting: deque[int] = deque()
    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    latencies: list[float] = []
    lags: list[float] = []
    sent_at: list[float] = []
    stalled: set[int] = set()
    failures = 0
    start = time.perf_counter() + 0.05
    due = 0
    while len(latencies) < total:
        now = time.perf_counter()
        while due < total and start + due / rate <= now:
            waiting.append(due)
            due += 1
        while waiting and idle:
            conn, i = idle.popleft(), waiting.popleft()
            conn.request = i
            conn.sock.sendall(request(i))
            sent = time.perf_counter()
            sent_at.append(sent)
            lags.append(sent - (start + i / rate))
        stalled.update(waiting)  # every connection busy: these wait for one
        timeout = None if due >= total else max(0.0, start + due / rate - time.perf_counter())
        for key, _ in selector.select(timeout):
            conn = key.data
            chunk = conn.sock.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed a keep-alive connection")
            conn.buffer += chunk
            size = _complete(conn.buffer)
            if not size:
                continue
            latencies.append(time.perf_counter() - (start + conn.request / rate))
            failures += not conn.buffer.startswith(expect)
            conn.buffer = conn.buffer[size:]
            idle.append(conn)
    selector.close()
    for conn in conns:
        conn.sock.close()
    sent_rate = (len(sent_at) - 1) / (sent_at[-1] - sent_at[0]) if len(sent_at) > 1 else 0.0
    return OpenLoopResult(latencies, sent_rate, lags, len(stalled), failures)
