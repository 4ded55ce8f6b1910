"""RostarCAS (the counter staff roster) as a port: the shifts of a date window."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from hub.ports.roster_types import RosterExport, RowProblem, Shift


class RosterPort(Protocol):
    """The roster export (peer `rostarcas`), over HTTP, a folder or SFTP; errors: TransientError/PermanentError."""

    def fetch_roster(self, from_: date, to: date) -> RosterExport:
        """The shifts in [from_, to) and the rows that could not be read."""


__all__ = ["RosterExport", "RosterPort", "RowProblem", "Shift"]
