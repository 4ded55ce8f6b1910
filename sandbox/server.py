"""`SandboxServer`: mounts simulators in one FastAPI app and runs it with uvicorn in a thread."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from fastapi import FastAPI

from hub.serving import ThreadedServer, bind_tcp
from sandbox.framework import ConnectionDropped, Simulator


class _QuietDrops(logging.Filter):
    """Hide uvicorn's traceback for connections a simulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_QUIET_DROPS = _QuietDrops()


class SandboxServer:
    """Runs simulators on 127.0.0.1 in a background thread; `with SandboxServer(sim) as s: s.url(...)`.

    `port=0` picks a free port (known right after `start()`, or already in `port` after binding).
    """

    def __init__(self, *simulators: Simulator, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning") -> None:
        self.host = host
        self.requested_port = port
        self.log_level = log_level
        self.simulators: dict[str, Simulator] = {}
        self.app = FastAPI(title="afsprakenhub sandbox", docs_url=None, redoc_url=None)
        self._server: ThreadedServer | None = None
        self._port: int | None = None
        for sim in simulators:
            self.add(sim)

        @self.app.get("/_sandbox")
        def index() -> dict[str, dict[str, str]]:
            return {s.name: s.describe() for s in self.simulators.values()}

    def add(self, sim: Simulator) -> Simulator:
        """Mount a simulator at its prefix (before `start()`)."""
        if self._server is not None:
            raise RuntimeError("add simulators before start()")
        if sim.prefix in self.simulators:
            raise ValueError(f"prefix {sim.prefix} is taken by {self.simulators[sim.prefix].name}")
        self.simulators[sim.prefix] = sim
        self.app.mount(sim.prefix, sim.asgi())
        return sim

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server has not been started")
        return self._port

    @property
    def running(self) -> bool:
        return self._server is not None

    def url(self, prefix: str = "") -> str:
        """Absolute URL of a path on this server, e.g. `url("/register")`."""
        return f"http://{self.host}:{self.port}{prefix}"

    def start(self, timeout: float = 10.0) -> Self:
        """Bind, serve in a daemon thread and return once connections are accepted."""
        if self._server is not None:
            raise RuntimeError("already started")
        sock = bind_tcp(self.requested_port, self.host)
        self._port = sock.getsockname()[1]
        logging.getLogger("uvicorn.error").addFilter(_QUIET_DROPS)  # idempotent
        self._server = ThreadedServer(self.app, sock, lifespan="off", log_level=self.log_level)
        try:
            self._server.start(timeout)
        except RuntimeError:
            self._server = None
            raise RuntimeError(f"sandbox server did not start on {self.host}:{self._port}") from None
        for sim in self.simulators.values():
            sim.on_start(self.url(sim.prefix))
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the simulators' threads, then uvicorn; safe to call twice."""
        for sim in self.simulators.values():
            sim.on_stop()
        if self._server is not None:
            self._server.stop(timeout)
        self._server = None

    def describe(self) -> dict[str, dict[str, str]]:
        """Per simulator name: its URLs and credentials."""
        return {s.name: s.describe() for s in self.simulators.values()}

    def __enter__(self) -> Self:
        return self.start() if self._server is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
