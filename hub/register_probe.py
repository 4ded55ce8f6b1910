"""`register probe`: a read-only check of a register, step by step, each failure named by step and reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hub.config import Settings
from hub.errors import DeliveryError
from hub.model import Appointment
from hub.ports.register import (
    AppointmentRegister,
    AuthFailedError,
    NotFoundError,
    UnexpectedShapeError,
    UnreachableError,
    UnsupportedError,
)
from hub.ports.register_vendors import build_register, spec_of

T = TypeVar("T")

#: Exit codes: which kind of failure, for scripts (0: every step worked).
EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE, EXIT_SHAPE, EXIT_NOT_FOUND = 1, 2, 3, 4, 5, 6


@dataclass
class ProbeFailed(Exception):
    """One step failed: `line()` is what the operator reads."""

    step: str
    reason: str
    exit_code: int

    def line(self) -> str:
        return f"register probe failed at step '{self.step}': {self.reason}"


@dataclass
class ProbeResult:
    vendor: str
    locations: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    appointment: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "locations": self.locations, "products": self.products,
                "appointment": self.appointment}


def classify(exc: DeliveryError) -> tuple[str, int]:
    """The reason as an operator reads it, and the exit code."""
    text = str(exc)
    if isinstance(exc, AuthFailedError):
        return f"bad credentials ({text})", EXIT_AUTH
    if isinstance(exc, UnreachableError):
        return f"unreachable ({text})", EXIT_UNREACHABLE
    if isinstance(exc, UnexpectedShapeError):
        return f"unexpected shape in field '{exc.field}' ({text})", EXIT_SHAPE
    if isinstance(exc, NotFoundError):
        return f"not found ({text})", EXIT_NOT_FOUND
    if isinstance(exc, UnsupportedError):
        return text, EXIT_FAILED
    return text, EXIT_FAILED


def _step(name: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except DeliveryError as exc:
        reason, code = classify(exc)
        raise ProbeFailed(name, reason, code) from exc


def probe_with(register: AppointmentRegister, appointment_id: str | None = None,
               show: Callable[[Appointment], dict[str, Any]] | None = None) -> ProbeResult:
    """Authenticate, list locations and products, read one appointment if asked; ProbeFailed at the first failure."""
    result = ProbeResult(register.vendor)
    _step("authenticate", register.authenticate)
    result.locations = [{"id": x.id, "name": x.name} for x in _step("list locations", register.list_locations)]
    result.products = [{"id": p.code, "name": p.name} for p in _step("list products", register.list_products)]
    if appointment_id is not None:
        appointment = _step("read appointment", lambda: register.get_appointment(appointment_id))
        result.appointment = (show or _canonical)(appointment)
    return result


def _canonical(appointment: Appointment) -> dict[str, Any]:
    return appointment.model_dump(mode="json", by_alias=True)


def probe(settings: Settings, *, vendor: str | None = None, overrides: Mapping[str, Any] | None = None,
          appointment_id: str | None = None,
          show: Callable[[Appointment], dict[str, Any]] | None = None) -> ProbeResult:
    """Build the (configured or named) register with `overrides` and probe it; ProbeFailed names the step."""
    try:
        spec_of(vendor or settings.register.vendor)
        register = build_register(settings, vendor, overrides)
    except ValueError as exc:  # unknown vendor, an override its settings do not have, an invalid section
        raise ProbeFailed("configure", str(exc), EXIT_USAGE) from exc
    try:
        return probe_with(register, appointment_id, show)
    finally:
        register.close()


__all__ = ["ProbeFailed", "ProbeResult", "classify", "probe", "probe_with"]
