"""uvicorn for the hub: the configuration `serve` runs, and a server in a background thread (demo, sandbox, tests)."""

from __future__ import annotations

import socket
import threading
from typing import Any, Literal

import uvicorn

from hub.http_limits import HttpLimits


class _Server(uvicorn.Server):
    """uvicorn with an event set once it listens (or has given up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


def bind_tcp(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    """A bound TCP socket (port 0 picks a free one), so the URL is known before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, uvicorn's separate header and body writes meet
    # the client's delayed ACK and every answer waits ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def server_config(app: Any, limits: HttpLimits, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration `afsprakenhub serve` runs (benchmarks run the same): slow clients cut off and
    connections bounded (`hub.slow_clients`), no access log (the hub logs what matters itself)."""
    from hub.slow_clients import uvicorn_options

    return uvicorn.Config(app, log_config=None, access_log=False, **uvicorn_options(limits), **options)


class ThreadedServer:
    """`ThreadedServer(app, sock).start()` serves until `stop()`; `start()` returns once it accepts."""

    def __init__(self, app: Any, sock: socket.socket, *, lifespan: Literal["auto", "on", "off"] = "on",
                 log_level: str = "warning") -> None:
        self.sock = sock
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan=lifespan, log_config=None)
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"uvicorn-{port}", daemon=True)

    def start(self, timeout: float = 15.0) -> ThreadedServer:
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            self.stop()
            raise RuntimeError(f"server did not start on {self.url}")
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.sock.close()
