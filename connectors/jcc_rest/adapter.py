"""The `jcc-rest` register adapter: JCC G-Plan's warp API v1 as the `AppointmentRegister` port.

Capabilities (only what JCC documents): read an appointment by id, create one (JCC assigns the GUID; not
idempotent, so no upsert by external id), cancel it, its QR code, the locations and the activities
(products). JCC has no lists or searches of appointments, no status changes but cancel (no complete, close,
check-in), no staffing or unavailability blocks, no employees.
JCC sends its own confirmation mails; `notify_customer` cannot switch them off.
"""

from __future__ import annotations

from connectors.jcc_rest.client import VENDOR, JccRestClient
from connectors.jcc_rest.settings import JccRestSettings
from connectors.vendor_register import ReadThenDeleteRegister
from hub.model import Appointment
from hub.ports.capabilities import Capability
from hub.ports.register_errors import RegisterPermanentError
from hub.ports.register_types import Location, Product, QrCode
from mappings import jcc_rest as mapping
from mappings.vendor_mapping import MappingError

CAPABILITIES: frozenset[Capability] = frozenset({
    Capability.READ_APPOINTMENT, Capability.CREATE, Capability.CANCEL, Capability.QR_CODE,
    Capability.LIST_LOCATIONS, Capability.LIST_PRODUCTS,
})


class JccRestRegister(ReadThenDeleteRegister):
    """JCC G-Plan REST behind the register port; vendor quirks stay in `mappings.jcc_rest` and the client."""

    vendor = VENDOR
    capabilities = CAPABILITIES
    client: JccRestClient

    def __init__(self, settings: JccRestSettings, client: JccRestClient | None = None) -> None:
        self.settings = settings
        self.client = client or JccRestClient(settings)

    def authenticate(self) -> None:
        """Fetch an access token at `connect/token` (AuthFailedError when JCC refuses the client)."""
        self.client.token()

    def get_appointment(self, appointment_id: str) -> Appointment:
        try:
            return mapping.appointment_from_jcc(self.client.appointment(appointment_id))
        except MappingError as exc:
            raise self._shape("get appointment", exc) from None

    def create_appointment(self, data: Appointment, notify_customer: bool = True) -> Appointment:
        """A new JCC appointment for `data` (JCC assigns the GUID); the appointment as JCC then holds it."""
        try:
            new = mapping.new_appointment_to_jcc(data)
        except MappingError as exc:
            raise RegisterPermanentError(f"register {VENDOR} create appointment failed: {exc}") from None
        return self.get_appointment(self.client.create(new))

    def qr_code(self, appointment_id: str) -> QrCode:
        """JCC's QR code is a text value (the code to render), not an image."""
        return QrCode(content_type="text/plain", data=self.client.qr_code(appointment_id).encode())

    def list_locations(self) -> list[Location]:
        return [mapping.location_from_jcc(loc) for loc in self.client.locations()]

    def list_products(self) -> list[Product]:
        return [mapping.product_from_jcc(a) for a in self.client.activities()]


def build(settings: JccRestSettings) -> JccRestRegister:
    """The factory named in `hub.ports.register_vendors.VENDORS` (no I/O)."""
    return JccRestRegister(settings)


__all__ = ["CAPABILITIES", "JccRestRegister", "build"]
