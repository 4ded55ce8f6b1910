"""Connector for the SaaS appointment register (contract: contract_tests/register/openapi.yaml).

`RegisterClient` (sync, for flows) and `AsyncRegisterClient` (bounded concurrency, for bulk work).
Importing this package registers the peer `register` in `hub.peers`.
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
from hub.peers import PEER_FACTORIES

PEER_FACTORIES["register"] = lambda s: RegisterClient.from_settings(s.register_api)

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
