"""Connector for JCC-Afspraken's SOAP service `GenericGuidanceSystem2` (zeep), used by the conversion.

Vendor quirks (local times, comma-separated product ids, empty answers, missing fields) are resolved
here; callers get `mappings.jcc.records.JccAppointment`s. Registers the peer `jcc`.
"""

from __future__ import annotations

from connectors.jcc.client import SERVICE_BINDING, JccClient, safe_settings
from connectors.jcc.export import count_rows, read_export
from connectors.jcc.settings import JccSettings
from hub.peers import PEER_FACTORIES

PEER_FACTORIES["jcc"] = lambda s: JccClient.from_settings(s.migration.jcc())

__all__ = ["SERVICE_BINDING", "JccClient", "JccSettings", "count_rows", "read_export", "safe_settings"]
