"""SFTP delivery with asyncssh: upload to `<name>.part`, check the size, then rename to `<name>`."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Awaitable, Callable
from typing import TypeVar

from connectors.foundation.sftp import SftpLogin, session
from connectors.kcm.errors import CONNECTOR
from connectors.kcm.models import Receipt, RemoteFile
from connectors.kcm.settings import KcmSettings
from connectors.kcm.transport import PART_SUFFIX
from connectors.ssh import asyncssh
from hub.errors import TransientError
from hub.ports.surveys_types import sha256_hex

T = TypeVar("T")
CHUNK = 32 * 1024


class SftpTransport:
    """The KCM drop folder over SFTP (password or private key; host key checked against known_hosts)."""

    name = "sftp"

    def __init__(self, settings: KcmSettings) -> None:
        self.settings = settings

    def _login(self) -> SftpLogin:
        return SftpLogin.of(self.settings, self.settings.timeout_seconds)

    def _path(self, name: str) -> str:
        if "/" in name or name.startswith("."):
            raise ValueError("a file name, not a path")
        return posixpath.join(self.settings.remote_folder, name)

    def _session(self, call: str, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
        return session(CONNECTOR, self._login(), call, work)

    def put(self, name: str, content: bytes) -> Receipt:
        final = self._path(name)
        part = final + PART_SUFFIX

        async def work(sftp: asyncssh.SFTPClient) -> Receipt:
            async with sftp.open(part, "wb") as fh:
                for offset in range(0, len(content), CHUNK):
                    await fh.write(content[offset:offset + CHUNK])
            size = (await sftp.stat(part)).size
            if size != len(content):
                raise TransientError(f"kcm sftp upload incomplete: {size} of {len(content)} bytes")
            try:
                await sftp.posix_rename(part, final)  # atomic replace (OpenSSH extension)
            except asyncssh.SFTPOpUnsupported:
                if await sftp.exists(final):
                    await sftp.remove(final)
                await sftp.rename(part, final)
            return Receipt(name=name, size=len(content), sha256=sha256_hex(content))

        return self._session("upload", work)

    def list_files(self) -> list[RemoteFile]:
        async def work(sftp: asyncssh.SFTPClient) -> list[RemoteFile]:
            entries = await sftp.readdir(self.settings.remote_folder)
            return sorted((RemoteFile(name=str(e.filename), size=e.attrs.size or 0) for e in entries
                           if str(e.filename) not in (".", "..") and e.attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY),
                          key=lambda f: f.name)

        return self._session("list", work)

    def checksum(self, name: str) -> str | None:
        path = self._path(name)

        async def work(sftp: asyncssh.SFTPClient) -> str | None:
            if not await sftp.exists(path):
                return None
            digest = hashlib.sha256()
            async with sftp.open(path, "rb") as fh:
                while chunk := await fh.read(CHUNK):
                    digest.update(chunk if isinstance(chunk, bytes) else chunk.encode())
            return digest.hexdigest()

        return self._session("read", work)

    def close(self) -> None:
        """Nothing held open: each call uses its own connection."""
