"""Connector for the waste-depot pass list (milieupassen): a CSV drop folder or a database view.

Importing this package registers the peer `passes` in `hub.peers`.
"""

from __future__ import annotations

from typing import Any

from connectors.passes.folder import FolderPassSource, parse_csv
from connectors.passes.models import PassList, PassRecord
from connectors.passes.settings import PassListSettings
from connectors.passes.view import ViewPassSource
from hub.peers import PEER_FACTORIES
from hub.ports.passes import PassSource


class NoPassSource:
    """No pass list configured: every pass is unknown."""

    name = "none"

    def fetch(self) -> PassList:
        return PassList(source="none", passes=[])


def source_for(settings: PassListSettings) -> PassSource:
    """The source the settings name."""
    if settings.source == "folder":
        return FolderPassSource(settings)
    if settings.source == "view":
        return ViewPassSource(settings)
    return NoPassSource()


def _factory(settings: Any) -> PassSource:
    return source_for(settings.waste_depot.passes)


PEER_FACTORIES["passes"] = _factory

__all__ = ["NoPassSource", "PassList", "PassListSettings", "PassRecord", "PassSource", "parse_csv", "source_for"]
