"""JCC G-Plan REST (warp v1) ↔ the canonical `Appointment` (pure translation, no I/O).

- Times: JCC's are Europe/Amsterdam wall-clock time without an offset (`mappings.local_time`); both DST days
  are handled (the autumn hour read as its first pass; a written time in its second pass is refused).
- Ids: JCC's GUIDs are kept as they are: appointment `id`, location `id`, activity `id` = product `code`
  (never the legacy integer `number`).
- Activities with amounts ↔ products with quantities, one line per activity.
- Several customers: the canonical model has one customer and a `groupSize`. The main customer
  (`isMainCustomer`, else the first) is the canonical customer; `groupSize` is the number of customers.
  Written back, the further customers carry no personal data (the canonical model has none for them).
- JCC has no appointment status or version: what it returns is `booked`, version 1; a cancelled appointment
  is gone from JCC (the adapter reports the cancel itself).
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from connectors.jcc_rest import models as jcc
from hub.model import Appointment, AppointmentStatus
from hub.ports.register_types import Location as CatalogueLocation
from hub.ports.register_types import Product as CatalogueProduct
from mappings.local_time import LocalTimeError, from_wall_clock, wall_clock_text
from mappings.vendor_mapping import MappingError, mapping_error
from mappings.vendor_mapping import text as _text

#: Canonical field → the JCC field it came from, to name the vendor's field when a value does not fit.
_SOURCE_FIELDS = {
    "start": "startDateTime", "end": "endDateTime", "location": "location", "products": "activityList",
    "customer.bsn": "customerList[main].socialSecurityNumber", "customer.email": "customerList[main].emailAddress",
    "customer.birthDate": "customerList[main].birthDate", "id": "id",
}


def _main(customers: list[jcc.Customer]) -> jcc.Customer | None:
    return next((c for c in customers if c.is_main_customer), customers[0] if customers else None)


def customer_from_jcc(c: jcc.Customer) -> dict[str, object]:
    """The canonical customer (wire form) of one JCC customer; one without any detail is anonymous."""
    born: date | None = c.birth_date.date() if c.birth_date is not None else None
    out: dict[str, object] = {
        "bsn": _text(c.social_security_number), "initials": _text(c.initials), "firstName": _text(c.first_name),
        "lastNamePrefix": _text(c.last_name_prefix), "lastName": _text(c.last_name),
        "birthDate": born.isoformat() if born else None, "email": _text(c.email_address),
        "phone": _text(c.phone_number) or _text(c.mobile_phone_number)}
    out["anonymous"] = not any(out.values())
    return out


def appointment_from_jcc(a: jcc.Appointment) -> Appointment:
    """A JCC appointment as the canonical model (offset date-times, products with quantities)."""
    try:
        start, end = from_wall_clock(a.start_date_time), from_wall_clock(a.end_date_time)
    except LocalTimeError as exc:
        raise MappingError(str(exc), "startDateTime/endDateTime") from None
    main = _main(a.customer_list)
    data: dict[str, object] = {
        "id": a.id, "version": 1, "status": AppointmentStatus.BOOKED.value,
        "start": start, "end": end,
        "location": {"id": a.location.id, "name": _text(a.location.description)},
        "products": [{"code": line.activity.id, "name": _text(line.activity.description), "quantity": line.amount}
                     for line in a.activity_list],
        "customer": customer_from_jcc(main) if main is not None else None,
        "caseReference": _text(a.case_id), "notes": _text(a.message),
        "groupSize": max(1, len(a.customer_list)),
    }
    try:
        return Appointment.model_validate(data)
    except ValidationError as exc:
        raise mapping_error(exc, _SOURCE_FIELDS) from None


def new_appointment_to_jcc(a: Appointment) -> jcc.NewAppointment:
    """The `POST appointment` body for a canonical appointment: wall-clock times without offset."""
    if not a.products:
        raise MappingError("JCC needs at least one activity", "products")
    try:
        start, end = wall_clock_text(a.start), wall_clock_text(a.end)
    except LocalTimeError as exc:
        raise MappingError(str(exc), "start/end") from None
    c = a.customer
    main = jcc.NewCustomer(is_main_customer=True)
    if c is not None and not c.anonymous:
        main = jcc.NewCustomer(
            is_main_customer=True, first_name=c.first_name, initials=c.initials, last_name_prefix=c.last_name_prefix,
            last_name=c.last_name, birth_date=c.birth_date.isoformat() if c.birth_date else None,
            email_address=str(c.email) if c.email else None, phone_number=c.phone, social_security_number=c.bsn)
    others = [jcc.NewCustomer(is_main_customer=False) for _ in range(a.group_size - 1)]
    return jcc.NewAppointment(
        activity_list=[jcc.NewActivity(activity_id=p.code, amount=p.quantity) for p in a.products],
        customer_list=[main, *others], from_date_time=start, to_date_time=end, location_id=a.location.id,
        message=a.notes)


def location_from_jcc(loc: jcc.Location) -> CatalogueLocation:
    """A JCC location as a catalogue entry (GUID id, description as name, street and city as address)."""
    address = None
    if loc.address is not None:
        street = " ".join(p for p in (loc.address.street_name, loc.address.house_number) if p)
        street += loc.address.house_number_suffix or ""
        address = ", ".join(p for p in (street, loc.address.postal_code, loc.address.city) if p) or None
    return CatalogueLocation(id=loc.id, name=_text(loc.description) or loc.id, address=address)


def product_from_jcc(activity: jcc.Activity) -> CatalogueProduct:
    """A JCC activity as a catalogue product (GUID as code; `appointmentDuration` seconds as minutes)."""
    minutes = activity.appointment_duration // 60 if activity.appointment_duration else None
    return CatalogueProduct(code=activity.id, name=_text(activity.description) or activity.id,
                            duration_minutes=minutes)


__all__ = [
    "MappingError",
    "appointment_from_jcc",
    "customer_from_jcc",
    "location_from_jcc",
    "new_appointment_to_jcc",
    "product_from_jcc",
]
