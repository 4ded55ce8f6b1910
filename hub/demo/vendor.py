"""`demo --register <vendor>`: the hub's register is a vendor's simulator; what the demo changes for that.

The canonical register simulator still plays the day (it is the source of the events TIP forwards). The
vendor simulator holds the same appointments (mirrored after the day is played) and is the register the
hub's flows, jobs and the probe talk to. Rows whose checks need what the vendor lacks show as unsupported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hub.demo.parts import DemoPart, DemoRow
from hub.errors import DeliveryError
from hub.model import AppointmentStatus
from hub.ports.capabilities import Capability, missing
from hub.ports.register import AppointmentRegister
from hub.ports.register_errors import NotFoundError, unsupported_reason
from hub.ports.register_vendors import DEFAULT_VENDOR, load_ref, spec_of
from hub.register_probe import ProbeFailed, probe_with

if TYPE_CHECKING:
    from hub.model import Appointment
    from sandbox.framework import Simulator


def vendor_simulator(vendor: str, seed: int) -> Simulator | None:
    """The vendor's simulator for the demo (None for the canonical register); ValueError when it has none."""
    spec = spec_of(vendor)
    if vendor == DEFAULT_VENDOR:
        return None
    if spec.simulator is None:
        raise ValueError(f"register {vendor} has no sandbox simulator for the demo")
    simulator: Simulator = load_ref(spec.simulator)(seed=seed)
    return simulator


def register_settings(vendor: str, simulator: Any) -> dict[str, Any]:
    """The hub's `register` settings pointing at the served simulator (nothing for the canonical register)."""
    if simulator is None:
        return {}
    return {"register": {"vendor": vendor, vendor.replace("-", "_"): simulator.hub_settings()}}


def mirror(simulator: Any, appointments: Iterable[Appointment]) -> list[Appointment]:
    """Store each appointment in the vendor's simulator as that vendor would hold it; the ones stored."""
    stored = list(appointments)
    for appointment in stored:
        simulator.put_appointment(appointment)
    return stored


def unsupported_rows(part: DemoPart, vendor: str, capabilities: frozenset[Capability]) -> dict[str, str]:
    """Row name → "not supported by register …" for the part's rows whose needs the register lacks."""
    out: dict[str, str] = {}
    for row, needs in part.register_needs.items():
        lacking = missing(needs, capabilities)
        if lacking:
            out[row] = unsupported_reason(vendor, *lacking)
    return out


def mark(rows: Sequence[DemoRow], reasons: dict[str, str]) -> list[DemoRow]:
    """The rows with those named in `reasons` shown as unsupported (their numbers mean nothing then)."""
    return [DemoRow(r.name, 0, 0, 0, reasons[r.name], unsupported=reasons[r.name]) if r.name in reasons else r
            for r in rows]


def _same(read: Appointment, held: Appointment) -> bool:
    """Same appointment, instants, location and products (quantities are compared apart: not every vendor can
    hold a quantity per product — Qmatic books every service for each of the booking's customers)."""
    return (read.id == held.id and read.start == held.start and read.end == held.end
            and read.location.id == held.location.id
            and sorted(p.code for p in read.products) == sorted(p.code for p in held.products))


def _quantities(appointment: Appointment) -> list[tuple[str, int]]:
    return sorted((p.code, p.quantity) for p in appointment.products)


def register_row(register: AppointmentRegister, mirrored: Sequence[Appointment]) -> DemoRow:
    """Through the port: authenticate, locations, products, then every mirrored appointment read back equal
    (same instants — the vendor's local times converted both ways — location and products with quantities);
    a cancelled one may be gone (not found)."""
    name = f"register {register.vendor}"
    try:
        result = probe_with(register)
    except ProbeFailed as failed:
        return DemoRow(name, len(mirrored), 0, 0, failed.line())
    if Capability.READ_APPOINTMENT not in register.capabilities:
        reason = unsupported_reason(register.vendor, Capability.READ_APPOINTMENT)
        return DemoRow(name, 0, 0, 0, reason, unsupported=reason)
    same, differing, quantities = 0, [], 0
    for held in mirrored:
        try:
            read = register.get_appointment(held.id)
        except NotFoundError as exc:
            if held.status == AppointmentStatus.CANCELLED:  # JCC, for one, forgets a cancelled appointment
                same += 1
            else:
                differing.append(f"{held.id} ({exc})")
            continue
        except DeliveryError as exc:
            differing.append(f"{held.id} ({exc})")
            continue
        if _same(read, held):
            same += 1
            quantities += _quantities(read) != _quantities(held)
        else:
            differing.append(held.id)
    detail = (f"{len(result.locations)} locations, {len(result.products)} products; appointments read back "
              f"through the port; {quantities} with quantities as the vendor holds them (several customers)"
              + (f"; differing: {', '.join(differing[:5])}" if differing else ""))
    return DemoRow(name, len(mirrored), same, 0, detail)


__all__ = ["mark", "mirror", "register_row", "register_settings", "unsupported_rows", "vendor_simulator"]
