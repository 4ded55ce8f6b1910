"""Drift between the register and Klantinteracties (Open Klant) klantcontacten, when that sink is on.

Per appointment one list call (the API lists klantcontacten by onderwerpobject): missing (no klantcontact for a
moment the appointment's state implies), shifted (`plaatsgevondenOp` is not the register's start, DST flagged),
orphaned (more than one klantcontact for one moment: the sink keeps one when the snapshot is sent again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flows.drift.repair import event_kind
from flows.drift.report import Finding, shift_of
from hub.model import Appointment
from hub.ports.klantinteracties import KlantcontactRecord
from mappings.klantinteracties import KEY_METADATA
from mappings.salesforce import kinds_for


@dataclass
class KlantinteractiesPlan:
    findings: list[Finding] = field(default_factory=list)
    resend: dict[str, set[str]] = field(default_factory=dict)


def compare(appointments: Iterable[Appointment], records_of: Callable[[str], list[KlantcontactRecord]], *,
            migrated_booked: bool, time_zone: str, now: datetime) -> KlantinteractiesPlan:
    """Compare each appointment's implied moments with its klantcontacten."""
    plan = KlantinteractiesPlan()
    for a in appointments:
        by_key: dict[str, list[KlantcontactRecord]] = {}
        for r in records_of(a.id):
            if KEY_METADATA in r.metadata:
                by_key.setdefault(r.metadata[KEY_METADATA], []).append(r)
        for kind in kinds_for(a, event_kind(a), migrated_booked=migrated_booked):
            found = by_key.get(f"{a.id}:{kind.value}", [])
            if not found:
                plan.findings.append(Finding(peer="klantinteracties", kind="missing", appointment_id=a.id,
                                             target=kind.value, expected_start=a.start,
                                             detail=f"no {kind.value} klantcontact"))
                plan.resend.setdefault(a.id, set()).add(kind.value)
                continue
            for extra in sorted(found, key=lambda r: r.uuid)[1:]:
                plan.findings.append(Finding(peer="klantinteracties", kind="orphaned", appointment_id=a.id,
                                             target=kind.value, remote_id=extra.uuid,
                                             detail="a second klantcontact for the same moment"))
                plan.resend.setdefault(a.id, set()).add(kind.value)
            raw = (found[0].model_extra or {}).get("plaatsgevondenOp")
            actual = datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else None
            if actual is not None and actual != a.start:
                delta, dst = shift_of(a.start, actual, time_zone, now)
                plan.findings.append(Finding(
                    peer="klantinteracties", kind="shifted", appointment_id=a.id, target=kind.value,
                    remote_id=found[0].uuid, expected_start=a.start, actual_start=actual, delta_minutes=delta,
                    dst=dst, detail=("daylight-saving shift: " if dst else "") + f"{delta:+d} min from the register"))
                plan.resend.setdefault(a.id, set()).add(kind.value)
    return plan


__all__ = ["KlantinteractiesPlan", "compare"]
