"""Connector for Salesforce (REST: composite, query, describe) over httpx with the shared OAuth2 auth.

`SalesforceClient` is the peer `salesforce`, registered in `hub.peers` on import.
"""

from __future__ import annotations

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
from hub.peers import register_peer
from hub.ports.salesforce import SalesforcePort

if TYPE_CHECKING:
    from hub.config import Settings

PEER = "salesforce"


def peer_factory(settings: Settings) -> SalesforcePort:
    """The `salesforce` peer of a Hub."""
    section: Any = getattr(settings, "salesforce", None) or SalesforceSettings()
    return SalesforceClient.from_settings(section)


register_peer(PEER, peer_factory)

__all__ = ["PEER", "ApiError", "ApiUsage", "FieldDescribe", "ObjectDescribe", "SalesforceClient",
           "SalesforceSettings", "SubResult", "Subrequest", "halted_only", "peer_factory", "ref_first_record_id",
           "ref_id"]
