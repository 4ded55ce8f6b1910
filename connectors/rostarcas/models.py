"""The roster export, defined with the roster port (hub.ports.roster_types): re-exported for the connector."""

from hub.ports.roster_types import (
    RosterExport,
    RowProblem,
    Shift,
)

__all__ = ["RosterExport", "RowProblem", "Shift"]
