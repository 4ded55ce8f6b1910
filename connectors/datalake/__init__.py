"""The municipal data platform: Delta Lake tables in a local folder or on ADLS Gen2 (`abfss://`)."""

from __future__ import annotations

from connectors.datalake.delta import WATERMARK_KEY, DeltaLake, Watermark
from connectors.datalake.settings import AZURITE_ACCOUNT, DatalakeSettings
from connectors.datalake.storage import LakeLocation, resolve

__all__ = ["AZURITE_ACCOUNT", "WATERMARK_KEY", "DatalakeSettings", "DeltaLake", "LakeLocation", "Watermark",
           "resolve"]
