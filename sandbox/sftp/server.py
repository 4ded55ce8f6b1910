"""`SftpServer`: an asyncssh SFTP server in a background thread, chrooted to one folder.

    server = SftpServer(tmp_path, username="kcm", password="secret").start()
    server.port, server.known_hosts_line(), server.list_files("upload"), server.read_file("upload/x.csv")
    server.fail_uploads(after_bytes=100)   # the next upload is cut off mid-file (connection aborted)
    server.stop()

Authentication by password and/or authorized OpenSSH public keys; a fresh ed25519 host key per server.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from connectors.ssh import asyncssh


def generate_client_key() -> tuple[str, str]:
    """A fresh ed25519 key pair for tests: (private key in OpenSSH format, public key line)."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    private = key.export_private_key("openssh").decode()
    public = key.export_public_key("openssh").decode().strip()
    return private, public


@dataclass(frozen=True)
class Operation:
    """One file operation a client asked for (paths relative to the root)."""

    kind: str  # open-write | rename | remove
    path: str
    target: str | None = None


class _Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cut_after: int | None = None
        self.times = 0

    def take(self) -> int | None:
        with self.lock:
            if self.times <= 0 or self.cut_after is None:
                return None
            self.times -= 1
            return self.cut_after


class _Auth(asyncssh.SSHServer):
    def __init__(self, owner: SftpServer) -> None:
        self.owner = owner
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        if username == self.owner.username and self.owner.authorized_keys and self.conn is not None:
            self.conn.set_authorized_keys(asyncssh.import_authorized_keys("\n".join(self.owner.authorized_keys)))
        return True

    def password_auth_supported(self) -> bool:
        return self.owner.password is not None

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.owner.username and password == self.owner.password

    def public_key_auth_supported(self) -> bool:
        return bool(self.owner.authorized_keys)

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Keys come from set_authorized_keys; this is only asked for other keys: refuse them.
        return False


class _Sftp(asyncssh.SFTPServer):
    """Chrooted SFTP that logs operations and can cut an upload off mid-file."""

    def __init__(self, chan: asyncssh.SSHServerChannel, owner: SftpServer) -> None:
        super().__init__(chan, chroot=str(owner.root).encode())
        self.owner = owner
        self.cut_after: int | None = None
        self.written: dict[int, int] = {}

    def _rel(self, path: bytes) -> str:
        return path.decode(errors="replace").lstrip("/")

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        file_obj = super().open(path, pflags, attrs)
        if pflags & asyncssh.FXF_WRITE:
            self.owner._log(Operation("open-write", self._rel(path)))
            self.written[id(file_obj)] = 0
            cut = self.owner._faults.take()
            if cut is not None:
                self.cut_after = cut
        return file_obj

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if self.cut_after is not None:
            done = self.written.get(id(file_obj), 0)
            room = max(0, self.cut_after - done)
            if len(data) > room:
                super().write(file_obj, offset, data[:room])
                self.channel.get_connection().abort()
                raise asyncssh.SFTPConnectionLost("upload cut off by the sandbox")
        self.written[id(file_obj)] = self.written.get(id(file_obj), 0) + len(data)
        written = super().write(file_obj, offset, data)
        assert isinstance(written, int)  # the local-file server writes synchronously
        return written

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self.owner._log(Operation("rename", self._rel(oldpath), self._rel(newpath)))
        super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self.owner._log(Operation("rename", self._rel(oldpath), self._rel(newpath)))
        super().posix_rename(oldpath, newpath)

    def remove(self, path: bytes) -> None:
        self.owner._log(Operation("remove", self._rel(path)))
        super().remove(path)


class SftpServer:
    """An SFTP server on `host` (loopback) serving `root`; `port=0` picks a free port."""

    def __init__(self, root: Path | str, *, username: str = "sandbox", password: str | None = None,
                 authorized_keys: list[str] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        if password is None and not authorized_keys:
            raise ValueError("give a password, authorized_keys or both")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.authorized_keys = list(authorized_keys or [])
        self.host = host
        self.requested_port = port
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.operations: list[Operation] = []
        self._faults = _Faults()
        self._ops_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: Any = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> Self:
        """Listen and serve in a daemon thread; returns once connections are accepted."""
        if self._loop is not None:
            raise RuntimeError("already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="sandbox-sftp", daemon=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
        try:
            self._acceptor = future.result(timeout)
        except Exception:
            self.stop()
            raise
        self._port = self._acceptor.get_port()
        return self

    async def _listen(self) -> Any:
        return await asyncssh.listen(
            self.host, self.requested_port, server_host_keys=[self.host_key],
            server_factory=lambda: _Auth(self), sftp_factory=lambda chan: _Sftp(chan, self),
            allow_scp=False, reuse_address=True)

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and all connections, stop the thread; safe to call twice."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if self._acceptor is not None:
            acceptor, self._acceptor = self._acceptor, None

            async def close() -> None:
                acceptor.close()
                await acceptor.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(close(), loop).result(timeout)
            except Exception:  # noqa: S110 - best effort on shutdown
                pass
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
        loop.close()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start() if self._loop is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what a test or the demo needs -----------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the SFTP server has not been started")
        return self._port

    @property
    def running(self) -> bool:
        return self._loop is not None

    def url(self, folder: str = "") -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}/{folder.lstrip('/')}"

    def known_hosts_line(self) -> str:
        """This server's host key as an OpenSSH known_hosts line."""
        key = self.host_key.export_public_key("openssh").decode().strip()
        return f"[{self.host}]:{self.port} {key}"

    def write_known_hosts(self, path: Path) -> Path:
        path.write_text(self.known_hosts_line() + "\n")
        return path

    def describe(self) -> dict[str, str]:
        return {"url": self.url(), "username": self.username, "hostKey": self.known_hosts_line()}

    def list_files(self, folder: str = "") -> list[str]:
        """Names of the files in `folder` (relative to the root), sorted."""
        base = self.root / folder.strip("/")
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_file())

    def read_file(self, path: str) -> bytes:
        return (self.root / path.strip("/")).read_bytes()

    def fail_uploads(self, after_bytes: int, times: int = 1) -> None:
        """Cut the next `times` uploads off after `after_bytes` bytes (the connection is aborted)."""
        with self._faults.lock:
            self._faults.cut_after, self._faults.times = after_bytes, times

    def _log(self, op: Operation) -> None:
        with self._ops_lock:
            self.operations.append(op)
