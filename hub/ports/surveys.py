"""KCM (Klant Contact Monitor) as a port: the drop folder survey invitation files are delivered to."""

from __future__ import annotations

from typing import Protocol

from hub.ports.surveys_types import Receipt, RemoteFile, sha256_hex


class SurveyDrop(Protocol):
    """The KCM drop folder (peer `kcm`), by SFTP or HTTPS; errors: TransientError/PermanentError."""

    @property
    def protocol(self) -> str:
        """`sftp` or `https` (audited with each delivery)."""

    def deliver(self, name: str, content: bytes) -> Receipt:
        """Put the file `name` (atomically: written under a temporary name, then renamed)."""

    def list_files(self) -> list[RemoteFile]:
        """The files in the drop folder."""

    def checksum(self, name: str) -> str | None:
        """The SHA-256 of the delivered file `name`, or None when it is not there."""


__all__ = ["Receipt", "RemoteFile", "SurveyDrop", "sha256_hex"]
