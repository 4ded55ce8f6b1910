"""JCC appointment → canonical `Appointment` (pure): rejects carry reasons, nothing is dropped silently.

Reject reasons start with a code: `unmapped-product`, `unmapped-location`, `unmapped-employee`,
`invalid-bsn`, `invalid-time`, `details-missing`, `no-products`, `invalid`. They name JCC codes and
field names, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic import ValidationError

from hub.model import Appointment, AppointmentStatus, Customer, Employee, Location, Product
from mappings.jcc import normalise
from mappings.jcc.records import JccAppointment
from mappings.jcc.tables import MappingTables

EXTERNAL_ID_PREFIX = "jcc:"
Outcome = Literal["ok", "rejected", "out-of-scope"]
#: Fields of `compare_view` that hold personal data (masked in reports).
PERSONAL_FIELDS = frozenset({"customer.bsn", "customer.birthDate", "customer.lastName", "customer.lastNamePrefix",
                             "customer.initials", "customer.firstName", "customer.email", "customer.phone"})


def external_id(app_id: str) -> str:
    """The register's externalId of a converted JCC appointment."""
    return f"{EXTERNAL_ID_PREFIX}{app_id}"


@dataclass(frozen=True, slots=True)
class MappingOutcome:
    """What the mapping made of one JCC appointment."""

    app_id: str
    external_id: str
    outcome: Outcome
    day: date | None
    location_id: str | None
    appointment: Appointment | None = None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _customer(rec: JccAppointment, tables: MappingTables, reasons: list[str],
              warnings: list[str]) -> Customer | None:
    bsn, valid = normalise.bsn(rec.client_id, pad=tables.rules.pad_client_id_to_nine_digits)
    if not valid:
        reasons.append("invalid-bsn: clientID is numeric but fails the 11-proef")
    initials, first_from_initials = normalise.initials(rec.client_initials)
    first = normalise.name(rec.client_first_name) or first_from_initials
    if first and not initials:
        initials = f"{first[0].upper()}."
    email, plain = normalise.email_and_plain(rec.client_mail)
    if rec.client_mail and email is None:
        warnings.append("clientMail is not a valid e-mail address; left out")
    raw_phone = rec.client_mobile or rec.client_tel
    phone = normalise.phone(raw_phone)
    if raw_phone and phone is None:
        warnings.append("client phone number is not a valid number; left out")
    language = tables.rules.default_language
    if rec.client_language:
        language = tables.rules.languages.get(rec.client_language.strip().upper(), language)
    last = normalise.name(rec.client_last_name)
    if not any((bsn, last, email, phone, rec.client_birth_date)):
        return Customer(anonymous=True, language=language)
    fields = {"bsn": bsn, "initials": initials, "first_name": first,
              "last_name_prefix": normalise.prefix(rec.client_last_name_prefix), "last_name": last,
              "birth_date": rec.client_birth_date, "phone": phone, "language": language}
    if email and plain:  # a plain address (lower case): the model's own fast path checks it and keeps it as it is
        return Customer(**fields, email=email)
    customer = Customer(**fields)
    # an unusual address passed `normalise.email` (email_validator, as EmailStr uses it): not validated a second time
    return customer.model_copy(update={"email": email}) if email else customer


def _products(rec: JccAppointment, tables: MappingTables, reasons: list[str]) -> tuple[list[Product], str | None]:
    products: list[Product] = []
    department: str | None = None
    for line in rec.products:
        entry = tables.products.get(line.product_id)
        if entry is None:
            reasons.append(f"unmapped-product: JCC product {line.product_id} is not in products.csv")
            continue
        department = department or entry.department
        products.append(_product(entry.code, line.quantity))
    if not rec.products:
        reasons.append("no-products: productID is empty")
    return products, department


@lru_cache(maxsize=4096)
def _product(code: str, quantity: int) -> Product:
    """Products, locations and employees are frozen models: one instance serves every appointment naming it."""
    return Product(code=code, quantity=quantity)


@lru_cache(maxsize=4096)
def _location(location_id: str, name: str | None) -> Location:
    return Location(id=location_id, name=name)


@lru_cache(maxsize=4096)
def _employee(employee_id: str) -> Employee:
    return Employee(id=employee_id)


def map_appointment(rec: JccAppointment, tables: MappingTables, *, now: datetime, scope: str = "future",
                    archive_days: int = 5 * 365) -> MappingOutcome:
    """Map one JCC appointment; `now` is the cutover moment that separates future from history."""
    reasons: list[str] = []
    warnings: list[str] = []
    ext = external_id(rec.app_id)
    day = rec.start.date() if rec.start else None
    if not rec.complete:
        return MappingOutcome(rec.app_id, ext, "rejected", day, rec.location_id,
                              reasons=("details-missing: JCC listed it but its details came back empty",))
    if rec.problems:
        reasons.extend(f"invalid-time: {p}" for p in rec.problems)
    location = tables.locations.get(rec.location_id or "")
    if location is None:
        reasons.append(f"unmapped-location: JCC location {rec.location_id or '(none)'} is not in locations.csv")
    products, department = _products(rec, tables, reasons)
    employee: Employee | None = None
    if rec.employee_id:
        mapped = tables.employees.get(rec.employee_id)
        if mapped is None:
            reasons.append(f"unmapped-employee: JCC employee {rec.employee_id} is not in employees.csv")
        else:
            employee = _employee(mapped)
    if rec.start is None or rec.end is None:
        if not rec.problems:
            reasons.append("invalid-time: appStartTime or appEndTime is missing")
    elif rec.end <= rec.start:
        reasons.append("invalid-time: appEndTime is not after appStartTime")
    customer = _customer(rec, tables, reasons, warnings)
    location_id = location[0] if location else rec.location_id
    if reasons or rec.start is None or rec.end is None or location is None:
        return MappingOutcome(rec.app_id, ext, "rejected", day, location_id, reasons=tuple(reasons),
                              warnings=tuple(warnings))
    future = rec.start >= now  # aware times with other offsets: compared once
    fields: dict[str, Any] = {
        "id": ext, "version": 1, "status": tables.rules.future_status if future else tables.rules.past_status,
        "start": rec.start, "end": rec.end,
        "location": _location(location[0], location[1]), "department": department,
        "channel": tables.rules.channel, "products": products, "customer": customer, "employee": employee,
        "case_reference": rec.case_id, "notes": normalise.clean(rec.description), "external_id": ext,
        "migrated": True,
    }
    try:
        appointment = Appointment.model_validate(fields)
    except ValidationError as exc:
        names = sorted({".".join(str(p) for p in e["loc"]) or "appointment" for e in exc.errors()})
        return MappingOutcome(rec.app_id, ext, "rejected", day, location_id,
                              reasons=(f"invalid: {', '.join(names)}",), warnings=tuple(warnings))
    outcome: Outcome = "ok"
    if not future and (scope != "all" or rec.start < now - timedelta(days=archive_days)):
        outcome = "out-of-scope"
    return MappingOutcome(rec.app_id, ext, outcome, day, location_id, appointment, warnings=tuple(warnings))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def compare_view(a: Appointment) -> dict[str, str]:
    """The fields reconciliation compares, as text (times in UTC, products as `CODE*n` sorted)."""
    c = a.customer or Customer(anonymous=True)
    utc = a.start.astimezone(UTC)
    products = ";".join(sorted(f"{p.code}*{p.quantity}" for p in a.products))
    return {
        "start": utc.isoformat(),
        "durationMinutes": _text(int((a.end - a.start).total_seconds() // 60)),
        "location": a.location.id,
        "products": products,
        "status": a.status.value if isinstance(a.status, AppointmentStatus) else str(a.status),
        "employee": _text(a.employee.id if a.employee else None),
        "caseReference": _text(a.case_reference),
        "customer.bsn": _text(c.bsn),
        "customer.birthDate": _text(c.birth_date),
        "customer.initials": _text(c.initials),
        "customer.firstName": _text(c.first_name),
        "customer.lastNamePrefix": _text(c.last_name_prefix),
        "customer.lastName": _text(c.last_name),
        "customer.email": _text(c.email),
        "customer.phone": _text(c.phone),
    }


__all__ = ["EXTERNAL_ID_PREFIX", "PERSONAL_FIELDS", "MappingOutcome", "compare_view", "external_id",
           "map_appointment"]
