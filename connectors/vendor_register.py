"""`UnsupportedByDefault`: the base of a vendor adapter — every port method answers "not supported".

A vendor adapter subclasses it, sets `vendor` and `capabilities`, and overrides the methods its vendor's
documented API offers; the others raise `UnsupportedError(vendor, capability)` without any I/O, as the
port requires. So an adapter states what it can do in code, and nothing more is claimed.
`ReadThenDeleteRegister` adds what vendors that cancel by `DELETE` (and then forget the appointment) share.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from hub.model import Appointment, AppointmentStatus
from hub.ports.capabilities import Capability
from hub.ports.register_errors import UnexpectedShapeError, UnsupportedError
from hub.ports.register_types import (
    BatchResult,
    Employee,
    Location,
    Product,
    QrCode,
    Room,
    StaffingBlock,
    UnavailabilityBlock,
    UpsertResult,
)
from mappings.vendor_mapping import MappingError


class UnsupportedByDefault:
    """Every `AppointmentRegister` method, each raising UnsupportedError for its capability."""

    vendor: str = "unknown"
    capabilities: frozenset[Capability] = frozenset()

    def _unsupported(self, capability: Capability) -> UnsupportedError:
        return UnsupportedError(self.vendor, capability)

    def authenticate(self) -> None:
        """Subclasses prove their credentials here."""
        raise NotImplementedError

    def get_appointment(self, appointment_id: str) -> Appointment:
        raise self._unsupported(Capability.READ_APPOINTMENT)

    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          updated_since: datetime | None = None, external_id: str | None = None,
                          case_reference: str | None = None, customer_bsn: str | None = None,
                          location_id: str | None = None,
                          status: AppointmentStatus | str | None = None) -> Iterator[Appointment]:
        if updated_since is not None:
            raise self._unsupported(Capability.LIST_CHANGES_SINCE)
        if external_id is not None:
            raise self._unsupported(Capability.FIND_BY_EXTERNAL_ID)
        if case_reference is not None:
            raise self._unsupported(Capability.FIND_BY_CASE_REFERENCE)
        if customer_bsn is not None:
            raise self._unsupported(Capability.FIND_BY_CUSTOMER)
        raise self._unsupported(Capability.LIST_APPOINTMENTS)

    def find_by_external_id(self, external_id: str) -> Appointment | None:
        raise self._unsupported(Capability.FIND_BY_EXTERNAL_ID)

    def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        raise self._unsupported(Capability.FIND_BY_CASE_REFERENCE)

    def upsert_appointment(self, external_id: str, data: Appointment,
                           notify_customer: bool = True) -> UpsertResult:
        raise self._unsupported(Capability.UPSERT_BY_EXTERNAL_ID)

    def create_appointment(self, data: Appointment, notify_customer: bool = True) -> Appointment:
        raise self._unsupported(Capability.CREATE)

    def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                           notify_customer: bool = True) -> Appointment:
        raise self._unsupported(Capability.CANCEL)

    def complete_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = True) -> Appointment:
        raise self._unsupported(Capability.COMPLETE)

    def close_appointment(self, appointment_id: str, reason: str | None = None,
                          notify_customer: bool = True) -> Appointment:
        raise self._unsupported(Capability.CLOSE)

    def check_in_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = False) -> Appointment:
        raise self._unsupported(Capability.CHECK_IN)

    def qr_code(self, appointment_id: str) -> QrCode:
        raise self._unsupported(Capability.QR_CODE)

    def list_locations(self) -> list[Location]:
        raise self._unsupported(Capability.LIST_LOCATIONS)

    def list_products(self) -> list[Product]:
        raise self._unsupported(Capability.LIST_PRODUCTS)

    def list_rooms(self) -> list[Room]:
        raise self._unsupported(Capability.LIST_ROOMS)

    def list_employees(self) -> list[Employee]:
        raise self._unsupported(Capability.LIST_EMPLOYEES)

    def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                             resource_id: str | None = None,
                             location_id: str | None = None) -> list[StaffingBlock]:
        raise self._unsupported(Capability.STAFFING_BLOCKS)

    def batch_staffing_blocks(self, upsert: Sequence[StaffingBlock] = (),
                              delete: Sequence[str] = ()) -> BatchResult:
        raise self._unsupported(Capability.STAFFING_BLOCKS)

    def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   employee_id: str | None = None) -> list[UnavailabilityBlock]:
        raise self._unsupported(Capability.UNAVAILABILITY_BLOCKS)

    def batch_unavailability_blocks(self, upsert: Sequence[UnavailabilityBlock] = (),
                                    delete: Sequence[str] = ()) -> BatchResult:
        raise self._unsupported(Capability.UNAVAILABILITY_BLOCKS)

    def close(self) -> None:
        """Subclasses release their HTTP client here."""


class DeletingClient(Protocol):
    """The vendor client calls `ReadThenDeleteRegister` makes."""

    def cancel(self, appointment_id: str, /) -> None: ...

    def close(self) -> None: ...


class ReadThenDeleteRegister(UnsupportedByDefault):
    """A vendor that cancels by `DELETE` and forgets: the snapshot read before is returned, now cancelled."""

    client: DeletingClient

    def _shape(self, call: str, exc: MappingError) -> UnexpectedShapeError:
        """An answer the vendor mapping could not read."""
        return UnexpectedShapeError(f"register {self.vendor} {call} failed: unexpected answer ({exc})",
                                    field=exc.field)

    def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                           notify_customer: bool = True) -> Appointment:
        """Read, then `DELETE`; the appointment as read, with status cancelled."""
        before = self.get_appointment(appointment_id)
        self.client.cancel(appointment_id)
        return before.model_copy(update={"status": AppointmentStatus.CANCELLED})

    def close(self) -> None:
        self.client.close()


__all__ = ["DeletingClient", "ReadThenDeleteRegister", "UnsupportedByDefault"]
