"""SIGTERM to `afsprakenhub serve` under intake load: every event answered 2xx is processed after a restart,
and every other request got an error (connection refused or reset, 503), never a silent drop.

The server runs as a subprocess on the test's store (SQLite, or PostgreSQL with AFSPRAKENHUB_TEST_BACKEND=postgres)
with the stub broker and in-process workers. The load is of a probe event type that only the probe flow below
consumes (the product's flows, which `afsprakenhub` always loads, ignore it); the probe appends every event id it
processed to a file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.context import FlowContext, InboundEvent
from hub.registry import REGISTRY, FlowRegistry, FlowSpec
from hub.serving import bind_tcp
from hub.store.tables import InboxEvent
from tests.conftest import TOKEN
from tests.support.flows import wait_for

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 4
SIGTERM_AFTER = 150  # responses before the signal
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}
PROBE_TYPE = "nl.example.afsprakenhub.restart-probe"


def _probe(event: InboundEvent, ctx: FlowContext) -> str | None:
    """Record the processed event id (one short O_APPEND write per event, safe across threads)."""
    fd = os.open(Path(os.environ["AFSPRAKENHUB_TEST_WORKDIR"]) / "effects", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{event.event.id}\n".encode())
    finally:
        os.close(fd)
    return None


if os.environ.get("AFSPRAKENHUB_RESTART_PROBE") == "1":  # imported as a flow module by the served hub
    REGISTRY.add(FlowSpec("restart-probe", (PROBE_TYPE,), _probe, purpose="test: record processed events"))


def _free_port() -> int:
    sock = bind_tcp()
    try:
        return int(sock.getsockname()[1])
    finally:
        sock.close()


@dataclass
class Outcomes:
    """What each client saw, per event id: the status code, or the error's type name."""

    answers: dict[str, int | str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    responses: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def record(self, event_id: str, outcome: int | str) -> None:
        with self.lock:
            self.answers[event_id] = outcome
        if isinstance(outcome, int):
            self.responses.release()

    def ok(self) -> set[str]:
        with self.lock:
            return {k for k, v in self.answers.items() if isinstance(v, int) and 200 <= v < 300}


class Server:
    """`afsprakenhub serve` in a subprocess; its stderr goes to a file for the failure message."""

    def __init__(self, settings: Settings, workdir: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AFSPRAKENHUB_")}
        self.env.update({
            "AFSPRAKENHUB_DATABASE_URL": settings.database_url, "AFSPRAKENHUB_BROKER_URL": "stub",
            "AFSPRAKENHUB_API_TOKENS": f"tip:{TOKEN}", "AFSPRAKENHUB_FLOW_MODULES": json.dumps(
                [__name__]), "AFSPRAKENHUB_RESTART_PROBE": "1",
            "AFSPRAKENHUB_TEST_WORKDIR": str(workdir), "AFSPRAKENHUB_WORKER_THREADS": "4",
            "AFSPRAKENHUB_RETRY__SWEEP_INTERVAL_SECONDS": "1", "AFSPRAKENHUB_RETRY__SWEEP_GRACE_SECONDS": "1",
            "AFSPRAKENHUB_RETRY__LEASE_SECONDS": "30", "AFSPRAKENHUB_LOG_FORMAT": "json",
            "AFSPRAKENHUB_CONSOLE__ENABLED": "false", "PYTHONPATH": str(ROOT),
        })
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, name: str) -> None:
        with (self.workdir / f"{name}.log").open("wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--port", str(self.port)],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if not wait_for(self._live, timeout=60):
            self.stop()
            raise AssertionError(f"the hub did not come up: {(self.workdir / f'{name}.log').read_text()[-2000:]}")

    def _live(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the hub exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.url}/api/v1/health/live", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Server]:
    s = Server(settings, tmp_path, _free_port())
    try:
        yield s
    finally:
        s.stop()


def _client_loop(url: str, prefix: str, outcomes: Outcomes, stop: threading.Event) -> None:
    with httpx.Client(timeout=30) as client:
        n = 0
        while not stop.is_set():
            n += 1
            event_id = f"{prefix}-{n}"
            body = json.dumps({"specversion": "1.0", "id": event_id, "source": "urn:test:restart", "type": PROBE_TYPE,
                               "data": {"n": n}})
            try:
                outcomes.record(event_id, client.post(f"{url}/api/v1/events", content=body, headers=AUTH).status_code)
            except httpx.HTTPError as exc:
                outcomes.record(event_id, type(exc).__name__)
                if isinstance(exc, httpx.ConnectError):  # nobody listens any more: this client is done
                    return


def _processed(workdir: Path) -> set[str]:
    effects = workdir / "effects"
    return set(effects.read_text().split()) if effects.exists() else set()


@pytest.mark.slow
def test_sigterm_under_load_loses_no_accepted_event(server: Server, settings: Settings) -> None:
    server.start("first")
    outcomes, stop = Outcomes(), threading.Event()
    clients = [threading.Thread(target=_client_loop, args=(server.url, f"R{i}", outcomes, stop), daemon=True)
               for i in range(CLIENTS)]
    for c in clients:
        c.start()
    try:
        for _ in range(SIGTERM_AFTER):  # a condition, not a sleep: this many answers came back
            assert outcomes.responses.acquire(timeout=60), "the load did not get answers"
        code = server.terminate()
    finally:
        stop.set()
        for c in clients:
            c.join(60)
    log = (server.workdir / "first.log").read_text()
    # uvicorn re-raises the signal once it has shut down gracefully, so -SIGTERM is a clean exit too.
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log[-2000:]
    assert not any(c.is_alive() for c in clients), "a request neither got an answer nor an error"
    accepted = outcomes.ok()
    others = {k: v for k, v in outcomes.answers.items() if k not in accepted}
    assert len(accepted) >= SIGTERM_AFTER
    errors = sorted({str(v) for v in others.values()})
    print(f"restart safety: {len(accepted)} accepted, {len(others)} refused ({', '.join(errors)})")
    assert all(v == 503 or isinstance(v, str) for v in others.values()), others  # errors only, no other answer

    server.start("second")
    assert wait_for(lambda: accepted <= _processed(server.workdir), timeout=90), \
        f"{len(accepted - _processed(server.workdir))} accepted events never processed"
    hub = Hub(settings, registry=FlowRegistry())
    try:
        with hub.db.unit_of_work() as s:
            stored = set(s.scalars(select(InboxEvent.event_id)))
    finally:
        hub.close()
    assert accepted <= stored
    server.terminate()
