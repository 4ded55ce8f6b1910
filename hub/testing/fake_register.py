"""An in-memory `AppointmentRegister` with a chosen capability set, for flow tests without HTTP (one of the fakes
in `hub.testing.fakes`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from hub.model import Appointment, AppointmentStatus
from hub.ports.register import (
    ALL_CAPABILITIES,
    BatchResult,
    Capability,
    ConflictError,
    Employee,
    Location,
    NotFoundError,
    Product,
    QrCode,
    Room,
    StaffingBlock,
    UnavailabilityBlock,
    UpsertResult,
    require,
)

C = Capability
_FINISHED = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CLOSED, AppointmentStatus.CANCELLED})


class FakeSettings(BaseModel):
    """The settings section of the `fake` vendor (tests register it in VENDORS)."""

    base_url: str = "memory://register"
    api_key: str | None = None
    capabilities: list[Capability] = Field(default_factory=lambda: sorted(ALL_CAPABILITIES))

    @field_validator("capabilities", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`AFSPRAKENHUB_REGISTER__FAKE__CAPABILITIES=read-appointment,check-in` (vendor section values are text)."""
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


@dataclass
class InMemoryRegister:
    """Every call is checked against `capabilities` first (UnsupportedError, nothing recorded) and recorded."""

    capabilities: frozenset[Capability] = ALL_CAPABILITIES
    vendor: str = "fake"
    appointments: dict[str, Appointment] = field(default_factory=dict)
    staffing: dict[str, StaffingBlock] = field(default_factory=dict)
    unavailability: dict[str, UnavailabilityBlock] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    closed: bool = False

    def _call(self, name: str, *needs: Capability) -> None:
        require(self, *needs)
        self.calls.append(name)

    def _get(self, appointment_id: str) -> Appointment:
        try:
            return self.appointments[appointment_id]
        except KeyError:
            raise NotFoundError(f"fake get_appointment failed: 404 {appointment_id}") from None

    def _to(self, appointment_id: str, status: AppointmentStatus, allowed: bool) -> Appointment:
        current = self._get(appointment_id)
        if current.status == status:
            return current
        if not allowed:
            raise ConflictError(f"fake {status.value}: 409")
        changed = current.model_copy(update={"status": status, "version": current.version + 1})
        self.appointments[appointment_id] = changed
        return changed

    def authenticate(self) -> None:
        self._call("authenticate")

    def get_appointment(self, appointment_id: str) -> Appointment:
        self._call("get_appointment", C.READ_APPOINTMENT)
        return self._get(appointment_id)

    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          updated_since: datetime | None = None, external_id: str | None = None,
                          case_reference: str | None = None, customer_bsn: str | None = None,
                          location_id: str | None = None,
                          status: AppointmentStatus | str | None = None) -> Iterator[Appointment]:
        needs = [C.LIST_APPOINTMENTS] if from_ or to or location_id or status else []
        needs += [C.LIST_CHANGES_SINCE] if updated_since else []
        needs += [C.FIND_BY_EXTERNAL_ID] if external_id else []
        needs += [C.FIND_BY_CASE_REFERENCE] if case_reference else []
        needs += [C.FIND_BY_CUSTOMER] if customer_bsn else []
        self._call("list_appointments", *(needs or [C.LIST_APPOINTMENTS]))
        return iter([a for a in self.appointments.values()
                     if (from_ is None or a.start >= from_) and (to is None or a.start < to)
                     and (location_id is None or a.location.id == location_id)
                     and (external_id is None or a.external_id == external_id)
                     and (case_reference is None or a.case_reference == case_reference)
                     and (customer_bsn is None or (a.customer is not None and a.customer.bsn == customer_bsn))])

    def find_by_external_id(self, external_id: str) -> Appointment | None:
        return next(self.list_appointments(external_id=external_id), None)

    def find_by_case_reference(self, case_reference: str) -> list[Appointment]:
        return list(self.list_appointments(case_reference=case_reference))

    def upsert_appointment(self, external_id: str, data: Appointment, notify_customer: bool = True) -> UpsertResult:
        self._call("upsert_appointment", C.UPSERT_BY_EXTERNAL_ID)
        existing = next((a for a in self.appointments.values() if a.external_id == external_id), None)
        stored = data.model_copy(update={"external_id": external_id, "id": existing.id if existing else data.id})
        self.appointments[stored.id] = stored
        return UpsertResult(appointment=stored, created=existing is None)

    def create_appointment(self, data: Appointment, notify_customer: bool = True) -> Appointment:
        self._call("create_appointment", C.CREATE)
        created = data.model_copy(update={"id": f"F-{len(self.appointments) + 1}"})
        self.appointments[created.id] = created
        return created

    def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                           notify_customer: bool = True) -> Appointment:
        self._call("cancel_appointment", C.CANCEL)
        return self._to(appointment_id, AppointmentStatus.CANCELLED, self._get(appointment_id).status not in _FINISHED)

    def complete_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = True) -> Appointment:
        self._call("complete_appointment", C.COMPLETE)
        return self._to(appointment_id, AppointmentStatus.COMPLETED, self._get(appointment_id).status not in _FINISHED)

    def close_appointment(self, appointment_id: str, reason: str | None = None,
                          notify_customer: bool = True) -> Appointment:
        self._call("close_appointment", C.CLOSE)
        return self._to(appointment_id, AppointmentStatus.CLOSED, self._get(appointment_id).status not in _FINISHED)

    def check_in_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = False) -> Appointment:
        self._call("check_in_appointment", C.CHECK_IN)
        return self._to(appointment_id, AppointmentStatus.CHECKED_IN, self._get(appointment_id).status in (
            AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED))

    def qr_code(self, appointment_id: str) -> QrCode:
        self._call("qr_code", C.QR_CODE)
        return QrCode(content_type="image/png", data=b"\x89PNG" + self._get(appointment_id).id.encode())

    def list_locations(self) -> list[Location]:
        self._call("list_locations", C.LIST_LOCATIONS)
        return [Location(id="LOC-1", name="Stadswinkel")]

    def list_products(self) -> list[Product]:
        self._call("list_products", C.LIST_PRODUCTS)
        return [Product(code="PASPOORT-AANVRAAG", name="Paspoort aanvragen")]

    def list_rooms(self) -> list[Room]:
        self._call("list_rooms", C.LIST_ROOMS)
        return []

    def list_employees(self) -> list[Employee]:
        self._call("list_employees", C.LIST_EMPLOYEES)
        return []

    def list_staffing_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                             resource_id: str | None = None, location_id: str | None = None) -> list[StaffingBlock]:
        self._call("list_staffing_blocks", C.STAFFING_BLOCKS)
        return list(self.staffing.values())

    def batch_staffing_blocks(self, upsert: Sequence[StaffingBlock] = (), delete: Sequence[str] = ()) -> BatchResult:
        self._call("batch_staffing_blocks", C.STAFFING_BLOCKS)
        self.staffing.update({b.id: b for b in upsert})
        gone = sum(self.staffing.pop(i, None) is not None for i in delete)
        return BatchResult(created=len(upsert), deleted=gone)

    def list_unavailability_blocks(self, *, from_: datetime | None = None, to: datetime | None = None,
                                   employee_id: str | None = None) -> list[UnavailabilityBlock]:
        self._call("list_unavailability_blocks", C.UNAVAILABILITY_BLOCKS)
        return list(self.unavailability.values())

    def batch_unavailability_blocks(self, upsert: Sequence[UnavailabilityBlock] = (),
                                    delete: Sequence[str] = ()) -> BatchResult:
        self._call("batch_unavailability_blocks", C.UNAVAILABILITY_BLOCKS)
        self.unavailability.update({b.id: b for b in upsert})
        gone = sum(self.unavailability.pop(i, None) is not None for i in delete)
        return BatchResult(created=len(upsert), deleted=gone)

    def close(self) -> None:
        self.closed = True


def build(settings: FakeSettings) -> InMemoryRegister:
    """The `fake` vendor's factory (as `hub.ports.register_vendors` calls it)."""
    return InMemoryRegister(capabilities=frozenset(settings.capabilities))


__all__ = ["FakeSettings", "InMemoryRegister", "build"]
