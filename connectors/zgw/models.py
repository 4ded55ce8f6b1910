"""The ZGW resources, defined with the Zaken port (hub.ports.zaken_types): re-exported for the connector."""

from hub.ports.zaken_types import (
    Abonnement,
    AbonnementInput,
    FilterGroup,
    Status,
    StatusType,
    Zaak,
    ZgwModel,
)

__all__ = ["Abonnement", "AbonnementInput", "FilterGroup", "Status", "StatusType", "Zaak", "ZgwModel"]
