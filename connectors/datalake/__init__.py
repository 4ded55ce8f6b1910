"""The municipal data platform: Delta Lake tables in a local folder or on ADLS Gen2 (`abfss://`).

`connectors.datalake.delta` (pyarrow, deltalake) is imported only by the export itself: the settings are
read by every command, and loading Arrow there would slow each start.
"""

from __future__ import annotations

from connectors.datalake.settings import AZURITE_ACCOUNT, DatalakeSettings
from connectors.datalake.storage import LakeLocation, resolve

__all__ = ["AZURITE_ACCOUNT", "DatalakeSettings", "LakeLocation", "resolve"]
