"""One SFTP bridge for the sync connectors: an asyncssh session per call, run to completion from sync code.

Each call opens its own connection (nothing is held open between calls), checks the host key against
`known_hosts` when one is configured, logs in with a password or a private key, and bounds the whole
session by ten times the connect timeout. asyncssh and OS failures become the connector's DeliveryError.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import SecretStr

from connectors.foundation.sftp_settings import SftpServer
from connectors.ssh import asyncssh
from hub.errors import DeliveryError, PermanentError, TransientError

T = TypeVar("T")


def _permanent_codes() -> set[int]:
    """SFTP status codes that retrying cannot fix (read when needed: asyncssh loads on first use)."""
    return {asyncssh.FX_PERMISSION_DENIED, asyncssh.FX_NO_SUCH_FILE, asyncssh.FX_NO_SUCH_PATH,
            asyncssh.FX_WRITE_PROTECT, asyncssh.FX_OP_UNSUPPORTED}


def sftp_error(connector: str, call: str, exc: BaseException) -> DeliveryError:
    """Authentication, host key and permission problems are permanent; connection trouble is transient."""
    kind = type(exc).__name__
    what = f"{connector} sftp {call} failed"
    if isinstance(exc, asyncssh.PermissionDenied | asyncssh.HostKeyNotVerifiable):
        return PermanentError(f"{what}: {kind} (check credentials / known_hosts)")
    if isinstance(exc, asyncssh.SFTPError) and not isinstance(exc, asyncssh.SFTPConnectionLost):
        reason = f"{what}: {kind} (code {exc.code})"
        return PermanentError(reason) if exc.code in _permanent_codes() else TransientError(reason)
    if isinstance(exc, asyncssh.Error | OSError | TimeoutError | EOFError):
        return TransientError(f"{what}: {kind}")
    return PermanentError(f"{what}: unexpected {kind}")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code (in a helper thread if this thread already runs a loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass(frozen=True)
class SftpLogin:
    """Where and how to log in; `known_hosts` None disables host key checking (sandbox only)."""

    host: str
    port: int
    username: str
    password: SecretStr | None
    private_key_path: str | None
    private_key_passphrase: SecretStr | None
    known_hosts: str | None
    timeout_seconds: float

    @classmethod
    def of(cls, server: SftpServer, timeout_seconds: float) -> SftpLogin:
        """The login a connector's `SftpServer` settings describe."""
        return cls(server.host, server.port, server.username, server.password, server.private_key_path,
                   server.private_key_passphrase, server.known_hosts_path, timeout_seconds)

    def options(self) -> dict[str, Any]:
        """asyncssh `connect` keyword arguments (the key file is read here)."""
        keys = None
        if self.private_key_path:
            phrase = self.private_key_passphrase.get_secret_value() if self.private_key_passphrase else None
            keys = [asyncssh.read_private_key(self.private_key_path, phrase)]
        return {"port": self.port, "username": self.username, "connect_timeout": self.timeout_seconds,
                "known_hosts": self.known_hosts, "client_keys": keys,
                "password": self.password.get_secret_value() if self.password else None}


def session(connector: str, login: SftpLogin, call: str, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
    """Connect, start SFTP, run `work`, disconnect; a DeliveryError `work` raises passes unchanged."""
    async def go() -> T:
        async with asyncssh.connect(login.host, **login.options()) as conn, conn.start_sftp_client() as sftp:
            return await asyncio.wait_for(work(sftp), login.timeout_seconds * 10)

    try:
        return run_sync(go())
    except DeliveryError:
        raise
    except (asyncssh.Error, OSError, TimeoutError, EOFError) as exc:
        raise sftp_error(connector, call, exc) from None


__all__ = ["SftpLogin", "run_sync", "session", "sftp_error"]
