"""Pseudonymisation for the export: a keyed customer key, a customer type and an age band."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from functools import lru_cache

#: Upper bounds (inclusive) of each age band; the last band is open.
AGE_BANDS: tuple[tuple[int, str], ...] = ((17, "0-17"), (29, "18-29"), (44, "30-44"), (64, "45-64"))
OLDEST_BAND = "65+"


@lru_cache(maxsize=65_536)  # an appointment's versions repeat its customer: compute the HMAC once
def customer_key(secret: str, *, bsn: str | None, kvk: str | None) -> str | None:
    """HMAC-SHA256 of `bsn:<BSN>` or `kvk:<KvK>` with the export's secret, 32 hex characters; None without id."""
    if not secret:
        raise ValueError("datalake.customer_key_secret is empty")
    if bsn:
        message = f"bsn:{bsn}"
    elif kvk:
        message = f"kvk:{kvk}"
    else:
        return None
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def customer_keys(secret: str, kind: str, ids: list[str]) -> list[str]:
    """`customer_key` of many BSNs (kind "bsn") or KvK numbers (kind "kvk"): the keyed state made once."""
    if not secret:
        raise ValueError("datalake.customer_key_secret is empty")
    keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    keys = []
    for value in ids:
        h = keyed.copy()
        h.update(f"{kind}:{value}".encode())
        keys.append(h.hexdigest()[:32])
    return keys


def customer_type(*, present: bool, anonymous: bool, bsn: str | None, kvk: str | None) -> str:
    """person, business, unidentified or anonymous."""
    if not present or anonymous:
        return "anonymous"
    if bsn:
        return "person"
    return "business" if kvk else "unidentified"


def age_band(birth_date: date | None, on: date) -> str | None:
    """The band of the age on `on`; None when the birth date is unknown or later than `on`."""
    if birth_date is None or birth_date > on:
        return None
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    for upper, band in AGE_BANDS:
        if age <= upper:
            return band
    return OLDEST_BAND
