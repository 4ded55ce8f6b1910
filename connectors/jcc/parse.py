"""Build `JccAppointment`s from raw JCC field values (SOAP objects or export rows), quirks resolved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from connectors.jcc.quirks import (
    NonexistentLocalTime,
    amsterdam_time,
    birth_date,
    blank_to_none,
    parse_local_datetime,
    product_lines,
)
from mappings.jcc.records import JccAppointment

#: The export file's columns: the extended-details field names of the WSDL, plus `employeeID`.
EXPORT_COLUMNS = (
    "appointmentID", "productID", "productDescription", "clientID", "clientFirstName", "clientLastNamePrefix",
    "clientLastName", "clientDateOfBirth", "clientInitials", "clientTel", "clientMobile", "clientMail",
    "locationID", "locationDescription", "appStartTime", "appEndTime", "appointmentDescription", "caseID",
    "clientLanguage", "employeeID",
)


def _time(value: Any, problems: list[str], name: str) -> datetime | None:
    try:
        if isinstance(value, datetime):
            return amsterdam_time(value)
        return parse_local_datetime(value)
    except NonexistentLocalTime:
        problems.append(f"{name} falls in the DST gap")
    except ValueError:
        problems.append(f"{name} is not a date-time")
    return None


def _birth(value: Any, problems: list[str]) -> date | None:
    try:
        return birth_date(value)
    except ValueError:
        problems.append("clientDateOfBirth is not a date")
        return None


def appointment_from_fields(fields: Mapping[str, Any], app_id: str | None = None) -> JccAppointment:
    """A `JccAppointment` from extended-details field values; `app_id` fills a missing `appointmentID`."""
    text = {k: blank_to_none(v) for k, v in fields.items() if not isinstance(v, date | datetime)}
    problems: list[str] = []
    ident = text.get("appointmentID") or app_id
    if not ident:
        raise ValueError("a JCC appointment without appointmentID")
    return JccAppointment(
        app_id=str(ident),
        location_id=text.get("locationID"),
        location_description=text.get("locationDescription"),
        products=product_lines(text.get("productID")),
        product_description=text.get("productDescription"),
        start=_time(fields.get("appStartTime"), problems, "appStartTime"),
        end=_time(fields.get("appEndTime"), problems, "appEndTime"),
        client_id=text.get("clientID"),
        client_first_name=text.get("clientFirstName"),
        client_initials=text.get("clientInitials"),
        client_last_name_prefix=text.get("clientLastNamePrefix"),
        client_last_name=text.get("clientLastName"),
        client_birth_date=_birth(fields.get("clientDateOfBirth"), problems),
        client_tel=text.get("clientTel"),
        client_mobile=text.get("clientMobile"),
        client_mail=text.get("clientMail"),
        client_language=text.get("clientLanguage"),
        description=text.get("appointmentDescription"),
        case_id=text.get("caseID"),
        employee_id=text.get("employeeID"),
        problems=tuple(problems),
    )


def incomplete(app_id: str, location_id: str | None) -> JccAppointment:
    """The record of an appointment JCC listed but whose details came back empty."""
    return JccAppointment(app_id=app_id, location_id=location_id, complete=False,
                          problems=("getGovAppointmentExtendedDetails answered empty",))


__all__ = ["EXPORT_COLUMNS", "appointment_from_fields", "incomplete"]
