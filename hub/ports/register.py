"""The appointment register as a port: what flows, jobs and the migration may ask of *a* register.

Canonical types in and out (`hub.model.Appointment`, `hub.ports.register_types`), hub-level errors out
(`hub.ports.register_errors`). An adapter (connector) per vendor implements `AppointmentRegister`; what
it cannot do it leaves out of `capabilities` and answers with `UnsupportedError(vendor, capability)`.
The migration's concurrent load uses `BulkRegister` (async, bounded concurrency, rate limited).

Which adapter a hub uses is chosen by `AFSPRAKENHUB_REGISTER__VENDOR`; see `hub.ports.register_vendors`
for the vendor registry and how a vendor plugs in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, runtime_checkable

from hub.errors import DeliveryError
from hub.model import Appointment, AppointmentStatus
from hub.ports.capabilities import ALL_CAPABILITIES, Capability, missing
from hub.ports.register_errors import (
    AuthFailedError,
    ConflictError,
    NotFoundError,
    RegisterPermanentError,
    RegisterTransientError,
    UnexpectedShapeError,
    UnreachableError,
    UnsupportedError,
    unsupported_reason,
)
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


@runtime_checkable
class AppointmentRegister(Protocol):
    """The register as flows and jobs see it (sync; one instance shared by worker threads).

    Every method raises only `hub.errors.DeliveryError`s: the port's errors above, or a vendor's subclass.
    A method whose capability the adapter lacks raises `UnsupportedError` without any I/O.
    """

    @property
    def vendor(self) -> str:
        """The registry name (`canonical`, `jcc-rest`, `qmatic`, …)."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this register can do (the adapter's row of the capability matrix)."""

    def authenticate(self) -> None:
        """Prove the credentials work (fetch a token, or one cheap authenticated call); `register probe`'s first
        step. AuthFailedError for refused credentials, UnreachableError when nothing answers."""

    # -- appointments ---------------------------------------------------------------------------

    def get_appointment(self, appointment_id: str) -> Appointment:
        """READ_APPOINTMENT. NotFoundError when it does not exist."""

    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          updated_since: datetime | None = None, external_id: str | None = None,
                          case_reference: str | None = None, customer_bsn: str | None = None,
                          location_id: str | None = None,
                          status: AppointmentStatus | str | None = None) -> Iterator[Appointment]:
        """LIST_APPOINTMENTS (window, location, status); LIST_CHANGES_SINCE (`updated_since`);
        FIND_BY_EXTERNAL_ID, FIND_BY_CASE_REFERENCE, FIND_BY_CUSTOMER for the other filters. Lazy, all pages."""

    def find_by_external_id(self, external_id: str) -> Appointment | None:
        """FIND_BY_EXTERNAL_ID: the appointment with this external id, or None."""

    def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        """FIND_BY_CASE_REFERENCE: every appointment of one case (zaak)."""

    def upsert_appointment(self, external_id: str, data: Appointment,
                           notify_customer: bool = True) -> UpsertResult:
        """UPSERT_BY_EXTERNAL_ID: create or update by external id; idempotent for the same content."""

    def create_appointment(self, data: Appointment, notify_customer: bool = True) -> Appointment:
        """CREATE: a new appointment; the register assigns its id (returned in `.id`). Not idempotent."""

    def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                           notify_customer: bool = True) -> Appointment:
        """CANCEL (idempotent); ConflictError when not allowed from the current status."""

    def complete_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = True) -> Appointment:
        """COMPLETE (idempotent); ConflictError when not allowed from the current status."""

    def close_appointment(self, appointment_id: str, reason: str | None = None,
                          notify_customer: bool = True) -> Appointment:
        """CLOSE (idempotent), e.g. because its zaak was closed; ConflictError when not allowed."""

    def check_in_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = False) -> Appointment:
        """CHECK_IN (idempotent); ConflictError when not allowed from the current status."""

    def qr_code(self, appointment_id: str) -> QrCode:
        """QR_CODE: the appointment's QR code."""

    # -- catalogue ------------------------------------------------------------------------------

    def list_locations(self) -> list[Location]:
        """LIST_LOCATIONS: canonical id and name of every location (branch)."""

    def list_products(self) -> list[Product]:
        """LIST_PRODUCTS: canonical code and name of every product (activity, service)."""

    def list_rooms(self) -> list[Room]:
        """LIST_ROOMS (each with its Outlook mailbox where the register knows it)."""

    def list_employees(self) -> list[Employee]:
        """LIST_EMPLOYEES."""

    # -- staffing and unavailability ------------------------------------------------------------

    def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                             resource_id: str | None = None,
                             location_id: str | None = None) -> list[StaffingBlock]:
        """STAFFING_BLOCKS."""

    def batch_staffing_blocks(self, upsert: Sequence[StaffingBlock] = (),
                              delete: Sequence[str] = ()) -> BatchResult:
        """STAFFING_BLOCKS: upsert and delete by the hub's block ids; counts summed."""

    def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   employee_id: str | None = None) -> list[UnavailabilityBlock]:
        """UNAVAILABILITY_BLOCKS."""

    def batch_unavailability_blocks(self, upsert: Sequence[UnavailabilityBlock] = (),
                                    delete: Sequence[str] = ()) -> BatchResult:
        """UNAVAILABILITY_BLOCKS: upsert and delete by the hub's block ids; counts summed."""

    def close(self) -> None:
        """Release connections (the hub calls it once, at shutdown)."""


class BulkRegister(Protocol):
    """What the migration's concurrent load, read-back and catalogue check need (async, bounded concurrency).

    Built per migration step by `hub.ports.register_vendors.build_bulk`, with the migration's rate-limited
    httpx client; used as `async with`.
    """

    @property
    def vendor(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    @property
    def max_concurrency(self) -> int: ...

    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          page_size: int = 100) -> AsyncIterator[Appointment]:
        """LIST_APPOINTMENTS in [from_, to), all pages (`async for`)."""

    def list_appointment_objects(self, *, from_: datetime, to: datetime) -> AsyncIterator[Mapping[str, object]]:
        """LIST_APPOINTMENTS in [from_, to) as canonical JSON objects (camelCase), without building models: the
        conversion's read-back stores and compares what the register answered."""

    async def upsert_appointments(self, items: Iterable[tuple[str, Appointment]],
                                  notify_customer: bool = False) -> list[UpsertResult | DeliveryError]:
        """UPSERT_BY_EXTERNAL_ID for many, concurrently; per item its result or its DeliveryError, in order."""

    async def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                                 notify_customer: bool = True) -> Appointment:
        """CANCEL (the migration's rollback)."""

    async def list_products(self) -> list[Product]: ...

    async def list_locations(self) -> list[Location]: ...

    async def list_employees(self) -> list[Employee]: ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> BulkRegister: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...


def require(register: AppointmentRegister | BulkRegister, *needs: Capability) -> None:
    """Raise UnsupportedError naming every one of `needs` the register lacks (no I/O)."""
    lacking = missing(frozenset(needs), register.capabilities)
    if lacking:
        raise UnsupportedError(register.vendor, *lacking)


__all__ = [
    "ALL_CAPABILITIES",
    "AppointmentRegister",
    "AuthFailedError",
    "BatchResult",
    "BulkRegister",
    "Capability",
    "ConflictError",
    "Employee",
    "Location",
    "NotFoundError",
    "Product",
    "QrCode",
    "RegisterPermanentError",
    "RegisterTransientError",
    "StaffingBlock",
    "UnavailabilityBlock",
    "UnexpectedShapeError",
    "UnreachableError",
    "UnsupportedError",
    "UpsertResult",
    "missing",
    "require",
    "unsupported_reason",
]
