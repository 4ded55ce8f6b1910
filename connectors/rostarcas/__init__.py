"""Connector for RostarCAS, the counter staff roster: the JSON export over HTTP, or the CSV export from a
folder or SFTP. The layout is documented in contract_tests/rostarcas/README.md.

Importing this package registers the peer `rostarcas` in `hub.peers`.
"""

from __future__ import annotations

from typing import Any

from connectors.rostarcas.client import RostarcasClient, RosterSource
from connectors.rostarcas.csv_export import generated_at_from_name, parse_csv
from connectors.rostarcas.errors import CONNECTOR
from connectors.rostarcas.files import FolderRosterSource, SftpRosterSource
from connectors.rostarcas.http import HttpRosterSource
from connectors.rostarcas.models import RosterExport, RowProblem, Shift
from connectors.rostarcas.rows import FIELDS
from connectors.rostarcas.settings import RostarcasSettings
from hub.peers import register_peer
from hub.ports.roster import RosterPort


def _factory(settings: Any) -> RosterPort:
    return RostarcasClient.from_settings(settings.rostarcas)


register_peer(CONNECTOR, _factory)

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
