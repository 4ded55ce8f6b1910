"""The hub out of process for the chaos run: `afsprakenhub serve` (+ `afsprakenhub worker`s), killable by PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
from pydantic import SecretStr

from hub.bootstrap import Hub
from hub.config import Settings
from hub.demo.runner import HubLauncher, wait_until

ROOT = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as `AFSPRAKENHUB_*` variables (sections as JSON), secrets included, for a child process."""

    def plain(value: Any) -> Any:
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

    env: dict[str, str] = {}
    for key, value in settings.model_dump().items():
        if value is None:
            continue
        text = json.dumps(value, default=plain) if isinstance(value, dict | list) else str(plain(value))
        env[f"AFSPRAKENHUB_{key.upper()}"] = text
    return env


class HubProcesses:
    """`serve` with in-process workers (stub broker), or `serve` plus `workers` worker processes (a real broker).

    The victim of `kill()` is the process that runs deliveries: `serve` on the embedded default, else worker 0.
    """

    def __init__(self, workdir: Path, workers: int = 0, worker_threads: int = 4) -> None:
        self.workdir, self.workers, self.worker_threads = workdir, workers, worker_threads
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self.env: dict[str, str] = {}
        self.url = ""
        self.port = 0
        self.kills: list[int] = []

    def launcher(self, hub: Hub) -> HubLauncher:
        def launch(settings: Settings, sock: socket.socket) -> Callable[[], None]:
            self.port = sock.getsockname()[1]
            self.url = f"http://127.0.0.1:{self.port}"
            sock.close()
            base = {k: v for k, v in os.environ.items() if not k.startswith("AFSPRAKENHUB_")}
            self.env = {**base, **settings_env(settings), "PYTHONPATH": str(ROOT),
                        "AFSPRAKENHUB_WORKER_THREADS": str(self.worker_threads)}
            try:
                self._start("serve")
                for n in range(self.workers):
                    self._start(f"worker-{n}")
            except BaseException:
                self.stop()
                raise
            return self.stop

        return launch

    @property
    def victim(self) -> str:
        return "worker-0" if self.workers else "serve"

    def _command(self, name: str) -> list[str]:
        if name == "serve":
            return [sys.executable, "-m", "hub.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        return [sys.executable, "-m", "hub.cli", "worker", "--threads", str(self.worker_threads)]

    def _start(self, name: str) -> None:
        log_path = self.workdir / f"{name}.log"
        log = log_path.open("ab")
        start = log.tell()  # a restart appends: look for its own "running" line
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(self._command(name), cwd=self.workdir, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        if name == "serve":
            self._wait_ready()
        else:
            if not wait_until(lambda: b"running" in log_path.read_bytes()[start:]
                              or self.procs[name].poll() is not None, 60):
                raise RuntimeError(f"{name} did not start")
        if self.procs[name].poll() is not None:
            raise RuntimeError(f"{name} exited with {self.procs[name].returncode}; see {self.workdir}/{name}.log")

    def _wait_ready(self) -> None:
        def ready() -> bool:
            if self.procs["serve"].poll() is not None:
                return True
            try:
                return httpx.get(f"{self.url}/api/v1/health/live", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        if not wait_until(ready, 60, interval=0.1):
            raise RuntimeError("afsprakenhub serve did not become ready within 60 s")

    def kill(self) -> int:
        """SIGKILL the victim (no cleanup, leases left behind) and return its exit status."""
        proc = self.procs[self.victim]
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(30)
        self.kills.append(code)
        return code

    def restart(self) -> None:
        self._start(self.victim)

    def logs(self) -> dict[str, str]:
        """Every process's output, by file name."""
        return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(self.workdir.glob("*.log"))}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait(15)
        for log in self._logs:
            log.close()
        self._logs.clear()
