"""Connector for Salesforce (REST: composite, query, describe) over simple-salesforce.

`SalesforceClient` is the peer `salesforce`. `hub.settings` imports this package (for SalesforceSettings)
while it initialises, when `hub.bootstrap` cannot be imported yet; so the peer is registered here when
that is safe, and `register_peer()` (called by the contact-moments flow) makes sure of it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from connectors.salesforce.client import SalesforceClient, halted_only
from connectors.salesforce.models import (
    ApiError,
    ApiUsage,
    FieldDescribe,
    ObjectDescribe,
    Subrequest,
    SubResult,
    ref_first_record_id,
    ref_id,
)
from connectors.salesforce.settings import SalesforceSettings

if TYPE_CHECKING:
    from hub.settings import Settings

PEER = "salesforce"


def peer_factory(settings: Settings) -> SalesforceClient:
    """The `salesforce` peer of a Hub."""
    section: Any = getattr(settings, "salesforce", None) or SalesforceSettings()
    return SalesforceClient.from_settings(section)


def register_peer() -> None:
    """Add `salesforce` to `hub.bootstrap.PEER_FACTORIES` (idempotent)."""
    from hub.bootstrap import PEER_FACTORIES

    PEER_FACTORIES.setdefault(PEER, peer_factory)


_settings_module = sys.modules.get("hub.settings")
if _settings_module is None or hasattr(_settings_module, "Settings"):  # not mid-import of hub.settings
    register_peer()

__all__ = ["PEER", "ApiError", "ApiUsage", "FieldDescribe", "ObjectDescribe", "SalesforceClient",
           "SalesforceSettings", "SubResult", "Subrequest", "halted_only", "peer_factory", "ref_first_record_id",
           "ref_id", "register_peer"]
