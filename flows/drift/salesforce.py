"""Drift between the register and Salesforce contact moments (the `contact_moments` flow's records).

missing: a moment the appointment's state implies (booked, visit, cancelled, …) has no record; shifted: a record's
start is not the register's (DST shifts flagged); orphaned: a record in the window whose appointment the register
does not know (reported only: contact history is never removed by the hub).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flows.drift.repair import event_kind
from flows.drift.report import Finding, shift_of
from hub.model import Appointment
from mappings.salesforce import SalesforceMapping, kinds_for, salesforce_datetime, soql_literal

CHUNK = 100


@dataclass
class SalesforcePlan:
    """The findings and, per appointment, the moment kinds whose link must be forgotten before a resend."""

    findings: list[Finding] = field(default_factory=list)
    resend: dict[str, set[str]] = field(default_factory=dict)
    extra: dict[str, Appointment] = field(default_factory=dict)


def record_queries(mapping: SalesforceMapping, ids: Sequence[str], start: datetime, end: datetime) -> list[str]:
    """SOQL for the records of `ids` (IN lists of CHUNK) and for every record starting in the window."""
    f = mapping.contact_moment
    columns = f"Id, {f.external_id_field}, {f.appointment_id_field}, {f.start_field}"
    queries = [f"SELECT {columns} FROM {f.object} WHERE {f.appointment_id_field} IN "
               f"({', '.join(soql_literal(i) for i in ids[o:o + CHUNK])})" for o in range(0, len(ids), CHUNK)]
    queries.append(f"SELECT {columns} FROM {f.object} WHERE {f.start_field} >= {salesforce_datetime(start)} "
                   f"AND {f.start_field} < {salesforce_datetime(end)}")
    return queries


def compare(appointments: Iterable[Appointment], records: Iterable[dict[str, object]], *,
            mapping: SalesforceMapping, register_get: Callable[[str], Appointment | None], time_zone: str,
            now: datetime) -> SalesforcePlan:
    """Compare the register's appointments with the contact-moment records read from Salesforce."""
    f = mapping.contact_moment
    plan = SalesforcePlan()
    by_key: dict[str, dict[str, object]] = {}
    for r in records:
        key = r.get(f.external_id_field)
        if isinstance(key, str):
            by_key[key] = r

    def check(a: Appointment) -> None:
        for kind in kinds_for(a, event_kind(a), migrated_booked=mapping.migrated.booked):
            key = f"{a.id}:{kind.value}"  # the sink's external id
            record = by_key.get(key)
            if record is None:
                plan.findings.append(Finding(peer="salesforce", kind="missing", appointment_id=a.id, target=kind.value,
                                             expected_start=a.start, detail=f"no {kind.value} contact moment"))
                plan.resend.setdefault(a.id, set()).add(kind.value)
                continue
            raw = record.get(f.start_field)
            actual = datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else None
            if actual != a.start:
                delta, dst = shift_of(a.start, actual, time_zone, now) if actual is not None else (0, False)
                plan.findings.append(Finding(
                    peer="salesforce", kind="shifted", appointment_id=a.id, target=kind.value,
                    remote_id=str(record.get("Id") or ""), expected_start=a.start, actual_start=actual,
                    delta_minutes=delta, dst=dst,
                    detail=("daylight-saving shift: " if dst else "") + f"start {delta:+d} min from the register"))
                plan.resend.setdefault(a.id, set()).add(kind.value)

    listed = {a.id: a for a in appointments}
    for a in listed.values():
        check(a)
    others = sorted({str(r.get(f.appointment_id_field)) for r in by_key.values()
                     if r.get(f.appointment_id_field) and r.get(f.appointment_id_field) not in listed})
    for appointment_id in others:
        other = register_get(appointment_id)
        if other is not None:  # moved out of the window: its records must follow
            plan.extra[other.id] = other
            check(other)
            continue
        for key, r in sorted(by_key.items()):
            if r.get(f.appointment_id_field) == appointment_id:
                plan.findings.append(Finding(peer="salesforce", kind="orphaned", appointment_id=appointment_id,
                                             target=key.rpartition(":")[2], remote_id=str(r.get("Id") or ""),
                                             fix="none", detail="contact moment of an appointment the register "
                                                                "does not know (left for a person to judge)"))
    return plan


__all__ = ["SalesforcePlan", "compare", "record_queries"]
