"""The municipal data platform: Delta Lake tables in a local folder or on ADLS Gen2 (`abfss://`).

`connectors.datalake.delta` (pyarrow, deltalake) is imported only when the export opens the lake: the settings are
read by every command, and loading Arrow there would slow each start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.datalake.settings import AZURITE_ACCOUNT, DatalakeSettings
from connectors.datalake.storage import LakeLocation, resolve
from hub.peers import register_peer
from hub.ports.datalake import DataLake, LakeOpener


class DeltaLakes:
    """The `datalake` peer: opens Delta Lake tables at the configured target (or another)."""

    def __init__(self, section: Callable[[], DatalakeSettings]) -> None:
        self._section = section  # read on each open: the section in force then (tests swap it between runs)

    def open(self, target: str | None = None) -> DataLake:
        from connectors.datalake.delta import DeltaLake  # Arrow loads here, on the export's first use

        return DeltaLake(resolve(self._section(), target))


def _factory(settings: Any) -> LakeOpener:
    return DeltaLakes(lambda: settings.datalake)


register_peer("datalake", _factory)

__all__ = ["AZURITE_ACCOUNT", "DatalakeSettings", "DeltaLakes", "LakeLocation", "resolve"]
