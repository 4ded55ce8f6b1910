"""What one JCC-Afspraken appointment is once the connector has read it (vendor quirks resolved).

The connector (`connectors.jcc`) builds these from SOAP answers or the CSV export; the mapping
(`mappings.jcc.mapping`) turns them into canonical appointments. No I/O here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProductLine(BaseModel):
    """One JCC product id and how many times the appointment lists it."""

    model_config = ConfigDict(frozen=True)

    product_id: str = Field(min_length=1)
    quantity: int = Field(default=1, ge=1)


class JccAppointment(BaseModel):
    """A JCC appointment (extended details); times already carry the Europe/Amsterdam offset.

    `complete` is False when JCC listed the appointment but answered its details empty.
    `problems` names quirks the connector could not resolve (e.g. a local time inside the DST gap).
    """

    model_config = ConfigDict(frozen=True)

    app_id: str = Field(min_length=1)
    location_id: str | None = None
    location_description: str | None = None
    products: tuple[ProductLine, ...] = ()
    product_description: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    client_id: str | None = None
    client_first_name: str | None = None
    client_initials: str | None = None
    client_last_name_prefix: str | None = None
    client_last_name: str | None = None
    client_birth_date: date | None = None
    client_tel: str | None = None
    client_mobile: str | None = None
    client_mail: str | None = None
    client_language: str | None = None
    description: str | None = None
    case_id: str | None = None
    employee_id: str | None = None
    complete: bool = True
    problems: tuple[str, ...] = ()


class JccLocation(BaseModel):
    """A JCC location (getGovLocations + getGovLocationDetails)."""

    model_config = ConfigDict(frozen=True)

    location_id: str
    description: str | None = None
    city: str | None = None


class JccProduct(BaseModel):
    """A JCC product (getGovAvailableProducts)."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    code: str | None = None
    description: str | None = None


def payload_hash(raw: Any) -> str:
    """SHA-256 of a raw payload in canonical JSON: the provenance of a staged record."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = ["JccAppointment", "JccLocation", "JccProduct", "ProductLine", "payload_hash"]
