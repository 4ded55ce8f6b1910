"""The register's typed results; they are the port's canonical types (`hub.ports.register_types`)."""

from __future__ import annotations

from hub.ports.register_types import (
    BatchResult,
    Counter,
    Employee,
    Location,
    Page,
    Product,
    RegisterModel,
    Room,
    StaffingBlock,
    UnavailabilityBlock,
    UpsertResult,
)

__all__ = [
    "BatchResult",
    "Counter",
    "Employee",
    "Location",
    "Page",
    "Product",
    "RegisterModel",
    "Room",
    "StaffingBlock",
    "UnavailabilityBlock",
    "UpsertResult",
]
