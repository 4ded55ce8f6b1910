"""Private PostgreSQL and Redis servers for fault tests: own temp folder, own free port, stopped by the test.

Never the shared servers: a fault test restarts or kills what it started here, and only that. `missing()`
says why one cannot run (binaries absent, no unprivileged user to run PostgreSQL as root), for `pytest.skip`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import redis

from hub.demo.runner import wait_until

START_TIMEOUT = 120.0  # generous: a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PrivatePostgres:
    """`initdb` + `pg_ctl` in `folder` on a free port; trust auth on 127.0.0.1, no fsync (a test instance)."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: as root that is private to root, and the server runs as 'postgres'.
        self.folder = Path(tempfile.mkdtemp(prefix="afsprakenhub-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self._user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root

    def missing(self) -> str | None:
        if not (self.initdb and self.pg_ctl):
            return "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin"
        if self._user:
            try:
                pwd.getpwnam(self._user)
            except KeyError:
                return "running as root without a 'postgres' user to run a private PostgreSQL as"
            if not shutil.which("runuser"):
                return "running as root without runuser to run a private PostgreSQL as 'postgres'"
        return None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [*(["runuser", "-u", self._user, "--"] if self._user else []), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=START_TIMEOUT)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        assert self.initdb and self.pg_ctl
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        assert self.pg_ctl
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "-t", str(int(START_TIMEOUT)), *extra, action)

    def restart_immediate(self) -> None:
        """`pg_ctl restart -m immediate`: every connection is cut, no clean shutdown; back when it answers."""
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._pg_ctl("stop", "-m", "immediate")
            except subprocess.CalledProcessError:
                pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """`redis-server` on a free port, no persistence: a restart loses every queued message, as a crash may."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.binary = shutil.which("redis-server")
        self.proc: subprocess.Popen[bytes] | None = None

    def missing(self) -> str | None:
        return None if self.binary else "redis-server not found on PATH"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "redis.log").open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save",
                                          "", "--appendonly", "no", "--dir", str(self.folder)],
                                         stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        if not wait_until(answers, START_TIMEOUT, interval=0.05):
            raise RuntimeError(f"private redis-server did not answer on port {self.port}")
        client.close()

    def kill(self) -> None:
        """SIGKILL: a crash, queued messages lost."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(START_TIMEOUT)

    def stop(self) -> None:
        self.kill()
        self.proc = None
