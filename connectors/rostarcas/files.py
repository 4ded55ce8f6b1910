"""The CSV export picked up from a folder or an SFTP server: the newest file matching the pattern wins.

File names carry the export time (`rooster_YYYYMMDDTHHMMSS.csv`), so sorting by name sorts by age.
Files are only read, never moved or removed: RostarCAS (or TIP) owns the drop folder.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from connectors.foundation.peer_calls import record
from connectors.foundation.sftp import SftpLogin, session
from connectors.rostarcas.csv_export import parse_csv
from connectors.rostarcas.errors import CONNECTOR
from connectors.rostarcas.models import RosterExport, RowProblem
from connectors.rostarcas.settings import RostarcasSettings
from connectors.ssh import asyncssh
from hub.errors import DeliveryError, PermanentError

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


class SftpRosterSource:
    """CSV exports in a folder on an SFTP server (asyncssh; password or key; host key checked if configured)."""

    name = "sftp"

    def __init__(self, settings: RostarcasSettings) -> None:
        self.settings = settings

    def _session(self, call: str, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
        s = self.settings
        login = SftpLogin.of(s.sftp, s.timeout_seconds)
        try:
            result = session(CONNECTOR, login, call, work)
        except DeliveryError as exc:
            record(CONNECTOR, exc)
            raise
        record(CONNECTOR, None)
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
