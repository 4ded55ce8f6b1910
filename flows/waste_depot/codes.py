"""Codes the hub signs for waste-depot appointments, and pseudonymous pass keys; both HMAC-SHA256."""

from __future__ import annotations

import base64
import hashlib
import hmac
from zoneinfo import ZoneInfo

from hub.model import Appointment

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CODE_PREFIX = "MS1-"
#: Snapshot fields (camelCase, kept as extras by the canonical model) a register may carry.
REGISTER_QR_FIELD = "qrCode"
PASS_FIELD = "passNumber"  # noqa: S105 - a field name


def _mac(key: str, purpose: str, value: str) -> bytes:
    return hmac.new(key.encode(), f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest()


def signed_code(key: str, appointment_id: str) -> str:
    """The QR value the hub hands out for an appointment when the register issues none (not guessable)."""
    return CODE_PREFIX + base64.b32encode(_mac(key, "qr", appointment_id)).decode()[:24]


def normalise_pass(number: str) -> str:
    return "".join(number.split()).upper()


def pass_key(key: str, number: str) -> str:
    """The pseudonymous key of a pass number: what the store and the audit log hold instead of the number."""
    return _mac(key, "pass", normalise_pass(number)).hex()


def _extra(appointment: Appointment, name: str) -> str | None:
    value = (appointment.model_extra or {}).get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def qr_code_of(appointment: Appointment, key: str) -> str:
    """The register's own QR value where the snapshot carries one, else the code the hub signs."""
    return _extra(appointment, REGISTER_QR_FIELD) or signed_code(key, appointment.id)


def pass_number_of(appointment: Appointment) -> str | None:
    """The pass number given at booking (e-form field `passNumber`), if any."""
    return _extra(appointment, PASS_FIELD)
