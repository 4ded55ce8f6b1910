"""Connector for the SaaS appointment register (contract: contract_tests/register/openapi.yaml).

`RegisterClient` (sync) and `AsyncRegisterClient` (bounded concurrency, for bulk work); as the register port's
`canonical` adapter in `connectors.register.adapter`. Flows reach it only through `hub.ports.register`.
"""

from __future__ import annotations

from connectors.register.async_client import AsyncRegisterClient
from connectors.register.auth import Credentials
from connectors.register.calls import BATCH_SIZE, idempotency_key
from connectors.register.client import RegisterClient
from connectors.register.errors import (
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    UnauthorizedError,
)
from connectors.register.models import (
    BatchResult,
    Counter,
    Employee,
    Location,
    Page,
    Product,
    Room,
    StaffingBlock,
    UnavailabilityBlock,
    UpsertResult,
)

__all__ = [
    "BATCH_SIZE",
    "AsyncRegisterClient",
    "BatchResult",
    "ConflictError",
    "Counter",
    "Credentials",
    "Employee",
    "Location",
    "NotFoundError",
    "Page",
    "PreconditionFailedError",
    "Product",
    "RegisterClient",
    "Room",
    "StaffingBlock",
    "UnauthorizedError",
    "UnavailabilityBlock",
    "UpsertResult",
    "idempotency_key",
]
