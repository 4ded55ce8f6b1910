"""The `canonical` register adapter: today's register contract (contract_tests/register/openapi.yaml) as the port.

`build` and `build_bulk` are the factories named in `hub.ports.register_vendors.VENDORS`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx

from connectors.register import calls
from connectors.register.async_client import AsyncRegisterClient
from connectors.register.client import RegisterClient
from hub.model import Appointment
from hub.ports.capabilities import ALL_CAPABILITIES, Capability
from hub.ports.register_errors import UnsupportedError
from hub.ports.register_types import QrCode
from hub.settings import RegisterSettings

VENDOR = "canonical"
#: The canonical contract has every operation but a QR code.
CAPABILITIES: frozenset[Capability] = ALL_CAPABILITIES - {Capability.QR_CODE}


class CanonicalRegister(RegisterClient):
    """`RegisterClient` as an `AppointmentRegister` (behaviour unchanged)."""

    vendor = VENDOR
    capabilities = CAPABILITIES

    def authenticate(self) -> None:
        """Fetch (or reuse) an access token."""
        self.token()

    def create_appointment(self, data: Appointment, notify_customer: bool = True) -> Appointment:
        """The canonical contract creates by external id: `data.external_id`, else the hub's own id."""
        return self.upsert_appointment(data.external_id or data.id, data, notify_customer).appointment

    def qr_code(self, appointment_id: str) -> QrCode:
        raise UnsupportedError(VENDOR, Capability.QR_CODE)


class CanonicalBulk(AsyncRegisterClient):
    """`AsyncRegisterClient` as a `BulkRegister` (behaviour unchanged)."""

    vendor = VENDOR
    capabilities = CAPABILITIES

    async def list_appointment_objects(self, *, from_: datetime, to: datetime) -> AsyncIterator[dict[str, object]]:
        """`GET /appointments` in [from_, to), page by page, each appointment as the register answered it."""
        params = calls.appointment_filters(from_=from_, to=to)
        cursor: str | None = None
        while True:
            call = calls.page_call("list_appointments", "/appointments", params, cursor, calls.BATCH_SIZE)
            items, cursor = calls.parse_raw_page(call.name, (await self.send(call)).content, cursor)
            for item in items:
                yield item
            if cursor is None:
                return


def build(settings: RegisterSettings) -> CanonicalRegister:
    return CanonicalRegister.from_settings(settings)


def build_bulk(settings: RegisterSettings, http: httpx.AsyncClient, concurrency: int) -> CanonicalBulk:
    """Over the migration's rate-limited `http` (closed with the adapter), `concurrency` requests at most."""
    return CanonicalBulk.from_settings(settings, http=http, max_concurrency=concurrency, owns_http=True)


__all__ = ["CAPABILITIES", "VENDOR", "CanonicalBulk", "CanonicalRegister", "build", "build_bulk"]
