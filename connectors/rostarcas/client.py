"""`RostarcasClient`: one interface over the three ways RostarCAS delivers its roster."""

from __future__ import annotations

from datetime import date
from typing import Protocol, Self

from connectors.rostarcas.files import FolderRosterSource, SftpRosterSource
from connectors.rostarcas.http import HttpRosterSource
from connectors.rostarcas.models import RosterExport
from connectors.rostarcas.settings import RostarcasSettings


class RosterSource(Protocol):
    name: str

    def fetch(self, from_: date, to: date) -> RosterExport: ...

    def close(self) -> None: ...


class RostarcasClient:
    """Fetches the roster for a date range from the configured source (JSON over HTTP, folder or SFTP)."""

    def __init__(self, source: RosterSource) -> None:
        self.source = source

    @classmethod
    def from_settings(cls, settings: RostarcasSettings) -> Self:
        source: RosterSource
        if settings.source == "http":
            source = HttpRosterSource(settings)
        elif settings.source == "folder":
            source = FolderRosterSource(settings)
        else:
            source = SftpRosterSource(settings)
        return cls(source)

    def fetch_roster(self, from_: date, to: date) -> RosterExport:
        """Shifts from `from_` up to (not including) `to`, plus the rows that could not be read."""
        if to <= from_:
            raise ValueError("`to` must be after `from_`")
        return self.source.fetch(from_, to)

    def close(self) -> None:
        self.source.close()


__all__ = ["RostarcasClient", "RosterSource"]
