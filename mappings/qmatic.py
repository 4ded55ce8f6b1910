"""Qmatic Orchestra Calendar ↔ the canonical `Appointment` (pure translation, no I/O).

- Times: an appointment's `start`/`end` carry an offset (UTC); they are shown in the branch's time zone
  (`timeZone`, Europe/Amsterdam when absent). A booking names the branch's wall-clock date and time in its
  path, so a canonical start is converted to that zone first (`mappings.local_time`; both DST days).
- Ids: Qmatic's long hexadecimal `publicId`s are kept as they are (appointment id, branch = location id,
  service = product code).
- Several customers and services: Qmatic books every service for every customer (`numberOfCustomers`
  applies to all services). Read: the first customer is the canonical customer, `groupSize` is the number
  of customers and every service's quantity is that number. Written: the number of customers is the larger
  of `groupSize` and the largest product quantity; the further customers carry only the main customer's name
  (Qmatic asks a name per customer; the canonical model has no details of the others).
- Names: Qmatic has first and last name only; a last-name prefix is written in front of the last name
  (`van Dijk`) and read back as part of it. Qmatic's `identificationNumber` is not a BSN and is not mapped.
- Status: a number; 20 is booked (Qmatic's documented value). Another number is an unexpected shape.
- No version in Qmatic: version 1.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from connectors.qmatic import models as qm
from hub.model import Appointment, AppointmentStatus
from hub.ports.register_types import Location as CatalogueLocation
from hub.ports.register_types import Product as CatalogueProduct
from mappings.local_time import AMSTERDAM, LocalTimeError, to_wall_clock
from mappings.vendor_mapping import MappingError, mapping_error
from mappings.vendor_mapping import text as _text

#: Qmatic's numeric appointment states this hub knows.
STATUSES: dict[int, AppointmentStatus] = {20: AppointmentStatus.BOOKED}
_SOURCE_FIELDS = {
    "start": "start", "end": "end", "location": "branch", "products": "services", "id": "publicId",
    "customer.email": "customers[0].email", "customer.birthDate": "customers[0].dateOfBirth",
}


def zone_of(branch: qm.Branch) -> ZoneInfo:
    """The branch's time zone (Europe/Amsterdam when it names none); an unknown zone is an unexpected shape."""
    if not branch.time_zone:
        return AMSTERDAM
    try:
        return ZoneInfo(branch.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError("unknown time zone", "branch.timeZone") from None


def appointment_from_qmatic(a: qm.Appointment) -> Appointment:
    """A Qmatic appointment as the canonical model (offset date-times in the branch's zone, quantities)."""
    if a.status is not None and a.status not in STATUSES:
        raise MappingError(f"unknown status {a.status}", "status")
    zone = zone_of(a.branch)
    size = max(1, len(a.customers))
    first = a.customers[0] if a.customers else None
    customer: dict[str, object] | None = None
    if first is not None:
        customer = {"firstName": _text(first.first_name), "lastName": _text(first.last_name),
                    "email": _text(first.email), "phone": _text(first.phone),
                    "birthDate": first.date_of_birth.isoformat() if first.date_of_birth else None}
        customer["anonymous"] = not any(customer.values())
    data: dict[str, object] = {
        "id": a.public_id, "version": 1, "status": STATUSES.get(a.status or 20, AppointmentStatus.BOOKED).value,
        "start": a.start.astimezone(zone), "end": a.end.astimezone(zone),
        "location": {"id": a.branch.public_id, "name": _text(a.branch.name)},
        "products": [{"code": s.public_id, "name": _text(s.name), "quantity": size} for s in a.services],
        "customer": customer, "notes": _text(a.notes), "groupSize": size,
    }
    try:
        return Appointment.model_validate(data)
    except ValidationError as exc:
        raise mapping_error(exc, _SOURCE_FIELDS) from None


def booking_slot(a: Appointment, zone: ZoneInfo) -> datetime:
    """The branch's wall-clock start of a canonical appointment (what the booking path names)."""
    try:
        return to_wall_clock(a.start, zone)
    except LocalTimeError as exc:
        raise MappingError(str(exc), "start") from None


def customers_needed(a: Appointment) -> int:
    """How many customers to book: the group, or more when a product is wanted more often."""
    return max([a.group_size, *(p.quantity for p in a.products)])


def booking_to_qmatic(a: Appointment, title: str) -> qm.NewBooking:
    """The v2 booking body: unique services, one entry per customer."""
    if not a.products:
        raise MappingError("Qmatic needs at least one service", "products")
    c = a.customer
    main = qm.NewCustomer()
    if c is not None and not c.anonymous:
        last = " ".join(p for p in (c.last_name_prefix, c.last_name) if p) or None
        main = qm.NewCustomer(first_name=c.first_name or c.initials, last_name=last,
                              email=str(c.email) if c.email else None, phone=c.phone,
                              date_of_birth=c.birth_date.isoformat() if c.birth_date else None)
    others = [qm.NewCustomer(first_name=main.first_name, last_name=main.last_name)
              for _ in range(customers_needed(a) - 1)]
    services = [qm.ServiceRef(public_id=code) for code in dict.fromkeys(p.code for p in a.products)]
    return qm.NewBooking(title=title, customers=[main, *others], services=services, notes=a.notes)


def location_from_qmatic(b: qm.Branch) -> CatalogueLocation:
    """A branch as a catalogue location (public id, name, street and city)."""
    parts = (b.address_line1, b.address_line2, b.address_zip, b.address_city)
    return CatalogueLocation(id=b.public_id, name=_text(b.name) or b.public_id,
                             address=", ".join(p for p in parts if p) or None)


def product_from_qmatic(s: qm.Service) -> CatalogueProduct:
    """A service as a catalogue product (public id as code; duration in minutes)."""
    return CatalogueProduct(code=s.public_id, name=_text(s.name) or s.public_id, duration_minutes=s.duration)


__all__ = [
    "STATUSES",
    "MappingError",
    "appointment_from_qmatic",
    "booking_slot",
    "booking_to_qmatic",
    "customers_needed",
    "location_from_qmatic",
    "product_from_qmatic",
    "zone_of",
]
