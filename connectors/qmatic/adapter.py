"""The `qmatic` register adapter: the Qmatic Orchestra Calendar public API as the `AppointmentRegister` port.

Capabilities (only what Qmatic's public Calendar API documents): read an appointment by public id, book one
(v2: several customers and services at once; Qmatic assigns the public id; not idempotent, so no upsert by
external id), cancel it by public id, the branches (locations) and services (products). No lists or
searches of appointments, no complete, close or check-in, no QR code, no staffing or unavailability blocks,
no employees.
"""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

from connectors.qmatic.client import VENDOR, QmaticClient
from connectors.qmatic.settings import QmaticSettings
from connectors.vendor_register import ReadThenDeleteRegister
from hub.model import Appointment
from hub.ports.capabilities import Capability
from hub.ports.register_errors import RegisterPermanentError
from hub.ports.register_types import Location, Product
from mappings import qmatic as mapping
from mappings.vendor_mapping import MappingError

CAPABILITIES: frozenset[Capability] = frozenset({
    Capability.READ_APPOINTMENT, Capability.CREATE, Capability.CANCEL, Capability.LIST_LOCATIONS,
    Capability.LIST_PRODUCTS,
})


class QmaticRegister(ReadThenDeleteRegister):
    """Qmatic behind the register port; vendor quirks stay in `mappings.qmatic` and the client."""

    vendor = VENDOR
    capabilities = CAPABILITIES
    client: QmaticClient

    def __init__(self, settings: QmaticSettings, client: QmaticClient | None = None) -> None:
        self.settings = settings
        self.client = client or QmaticClient(settings)
        self._zones: dict[str, ZoneInfo] = {}
        self._lock = threading.Lock()

    def authenticate(self) -> None:
        """One cheap authenticated call (`GET v1/branches`): AuthFailedError when the API key is refused."""
        self.client.branches()

    def get_appointment(self, appointment_id: str) -> Appointment:
        try:
            return mapping.appointment_from_qmatic(self.client.appointment(appointment_id))
        except MappingError as exc:
            raise self._shape("get appointment", exc) from None

    def _zone(self, branch_id: str) -> ZoneInfo:
        with self._lock:
            known = self._zones.get(branch_id)
        if known is not None:
            return known
        try:
            zone = mapping.zone_of(self.client.branch(branch_id))
        except MappingError as exc:
            raise self._shape("branch", exc) from None
        with self._lock:
            self._zones[branch_id] = zone
        return zone

    def create_appointment(self, data: Appointment, notify_customer: bool = True) -> Appointment:
        """Book `data` at its branch's wall-clock date and time; the appointment as Qmatic answers it."""
        zone = self._zone(data.location.id)
        try:
            slot = mapping.booking_slot(data, zone)
            booking = mapping.booking_to_qmatic(data, self.settings.title)
        except MappingError as exc:
            raise RegisterPermanentError(f"register {VENDOR} book failed: {exc}") from None
        booked = self.client.book(data.location.id, slot.date(), slot.time(), booking)
        try:
            return mapping.appointment_from_qmatic(booked)
        except MappingError as exc:
            raise self._shape("book", exc) from None

    def list_locations(self) -> list[Location]:
        return [mapping.location_from_qmatic(b) for b in self.client.branches()]

    def list_products(self) -> list[Product]:
        return [mapping.product_from_qmatic(s) for s in self.client.services()]


def build(settings: QmaticSettings) -> QmaticRegister:
    """The factory named in `hub.ports.register_vendors.VENDORS` (no I/O)."""
    return QmaticRegister(settings)


__all__ = ["CAPABILITIES", "QmaticRegister", "build"]
