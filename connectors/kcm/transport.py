"""The interface every KCM delivery protocol implements (SFTP, HTTPS)."""

from __future__ import annotations

from typing import Protocol

from hub.ports.surveys_types import Receipt, RemoteFile

#: Suffix of the temporary name a file is uploaded under before the rename to its final name.
PART_SUFFIX = ".part"


class Transport(Protocol):
    """One protocol to the drop folder. Raise hub.errors TransientError / PermanentError on failure."""

    name: str

    def put(self, name: str, content: bytes) -> Receipt:
        """Store `content` as `name` completely or not at all (temporary name, then rename; replaces)."""
        ...

    def list_files(self) -> list[RemoteFile]:
        """The files in the drop folder (read only)."""
        ...

    def checksum(self, name: str) -> str | None:
        """SHA-256 of the file `name` in the drop folder, or None if it is not there."""
        ...

    def close(self) -> None: ...
