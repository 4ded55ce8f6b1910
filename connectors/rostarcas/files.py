"""The CSV export picked up from a folder or an SFTP server: the newest file matching the pattern wins.

File names carry the export time (`rooster_YYYYMMDDTHHMMSS.csv`), so sorting by name sorts by age.
Files are only read, never moved or removed: RostarCAS (or TIP) owns the drop folder.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fnmatch
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from connectors.rostarcas.csv_export import parse_csv
from connectors.rostarcas.errors import CONNECTOR, sftp_error
from connectors.rostarcas.models import RosterExport, RowProblem
from connectors.rostarcas.settings import RostarcasSettings
from connectors.ssh import asyncssh
from hub.errors import DeliveryError, PermanentError, TransientError
from hub.metrics import PEER_CALLS

T = TypeVar("T")
MAX_BYTES = 50 * 1024 * 1024


def newest(names: list[str], pattern: str) -> str | None:
    """The last name (by sort order) matching the glob `pattern`, ignoring partial uploads."""
    matching = sorted(n for n in names if fnmatch.fnmatchcase(n, pattern) and not n.endswith((".part", ".tmp")))
    return matching[-1] if matching else None


def _in_window(export: RosterExport, from_: date, to: date) -> RosterExport:
    return export.model_copy(update={"shifts": [s for s in export.shifts if from_ <= s.day < to]})


def _no_file(where: str, pattern: str) -> RosterExport:
    return RosterExport(source=where, problems=[RowProblem(file=where, line=0,
                                                           reason=f"no file matching {pattern}")])


class FolderRosterSource:
    """CSV exports in a local (or mounted) folder."""

    name = "folder"

    def __init__(self, settings: RostarcasSettings) -> None:
        self.settings = settings

    def fetch(self, from_: date, to: date) -> RosterExport:
        s = self.settings
        folder = Path(s.folder)
        if not folder.is_dir():
            raise PermanentError(f"{CONNECTOR} folder pickup failed: {folder} is not a folder")
        name = newest([p.name for p in folder.iterdir() if p.is_file()], s.file_pattern)
        if name is None:
            return _no_file(str(folder), s.file_pattern)
        data = (folder / name).read_bytes()
        export = parse_csv(name, data, delimiter=s.delimiter, encoding=s.encoding, timezone=s.timezone)
        return _in_window(export, from_, to)

    def close(self) -> None:
        """Nothing held open."""


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code (in a helper thread if this thread already runs a loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class SftpRosterSource:
    """CSV exports in a folder on an SFTP server (asyncssh; password or key; host key checked if configured)."""

    name = "sftp"

    def __init__(self, settings: RostarcasSettings) -> None:
        self.settings = settings

    def _options(self) -> dict[str, Any]:
        s = self.settings
        options: dict[str, Any] = {"port": s.sftp_port, "username": s.sftp_username,
                                   "connect_timeout": s.timeout_seconds, "known_hosts": s.sftp_known_hosts_path}
        if s.sftp_private_key_path:
            phrase = s.sftp_private_key_passphrase.get_secret_value() if s.sftp_private_key_passphrase else None
            options["client_keys"] = [asyncssh.read_private_key(s.sftp_private_key_path, phrase)]
        else:
            options["client_keys"] = None
        options["password"] = s.sftp_password.get_secret_value() if s.sftp_password else None
        return options

    def _session(self, call: str, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
        async def go() -> T:
            async with asyncssh.connect(self.settings.sftp_host, **self._options()) as conn, \
                    conn.start_sftp_client() as sftp:
                return await asyncio.wait_for(work(sftp), self.settings.timeout_seconds * 10)

        try:
            result = _run(go())
        except DeliveryError as exc:
            PEER_CALLS.labels(connector=CONNECTOR, outcome="permanent").inc()
            raise exc from None
        except (asyncssh.Error, OSError, TimeoutError, EOFError) as exc:
            error = sftp_error(call, exc)
            PEER_CALLS.labels(connector=CONNECTOR,
                              outcome="transient" if isinstance(error, TransientError) else "permanent").inc()
            raise error from None
        PEER_CALLS.labels(connector=CONNECTOR, outcome="ok").inc()
        return result

    def fetch(self, from_: date, to: date) -> RosterExport:
        s = self.settings

        async def work(sftp: asyncssh.SFTPClient) -> tuple[str, bytes] | None:
            entries = await sftp.readdir(s.sftp_folder)
            files = [str(e.filename) for e in entries if e.attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY]
            name = newest(files, s.file_pattern)
            if name is None:
                return None
            path = f"{s.sftp_folder.rstrip('/')}/{name}"
            size = (await sftp.stat(path)).size or 0
            if size > MAX_BYTES:
                raise PermanentError(f"{CONNECTOR} sftp read failed: {name} is larger than {MAX_BYTES} bytes")
            async with sftp.open(path, "rb") as fh:
                data = await fh.read()
            return name, data if isinstance(data, bytes) else data.encode()

        found = self._session("read", work)
        if found is None:
            return _no_file(s.sftp_folder, s.file_pattern)
        name, data = found
        export = parse_csv(name, data, delimiter=s.delimiter, encoding=s.encoding, timezone=s.timezone)
        return _in_window(export, from_, to)

    def close(self) -> None:
        """Nothing held open: each fetch uses its own connection."""


__all__ = ["FolderRosterSource", "SftpRosterSource", "newest"]
