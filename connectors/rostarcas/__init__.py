"""Connector for RostarCAS, the counter staff roster: the JSON export over HTTP, or the CSV export from a
folder or SFTP. The layout is documented in contract_tests/rostarcas/README.md.

Importing this package registers the peer `rostarcas` in `hub.peers`.
"""

from __future__ import annotations

from connectors.rostarcas.client import RostarcasClient, RosterSource
from connectors.rostarcas.csv_export import generated_at_from_name, parse_csv
from connectors.rostarcas.errors import CONNECTOR
from connectors.rostarcas.files import FolderRosterSource, SftpRosterSource
from connectors.rostarcas.http import HttpRosterSource
from connectors.rostarcas.models import RosterExport, RowProblem, Shift
from connectors.rostarcas.rows import FIELDS
from connectors.rostarcas.settings import RostarcasSettings
from hub.peers import register_peer

register_peer(CONNECTOR, lambda s: RostarcasClient.from_settings(s.rostarcas))

__all__ = [
    "CONNECTOR",
    "FIELDS",
    "FolderRosterSource",
    "HttpRosterSource",
    "RostarcasClient",
    "RostarcasSettings",
    "RosterExport",
    "RosterSource",
    "RowProblem",
    "SftpRosterSource",
    "Shift",
    "generated_at_from_name",
    "parse_csv",
]
