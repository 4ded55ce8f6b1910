"""Rollback: cancel every converted (`jcc:`) appointment in the register, customers not notified.

Used only before TIP routes are switched (JCC is still the system of record then). Cancelling is the
register's own way to take an appointment out of use; the appointments stay visible for the audit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from hub.errors import DeliveryError
from hub.model import Appointment, AppointmentStatus
from mappings.jcc.mapping import EXTERNAL_ID_PREFIX
from migration.context import MigrationContext
from migration.progress import bar
from migration.readback import window

REASON = "JCC conversion rolled back"
CANCELLABLE = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED, AppointmentStatus.CHECKED_IN,
                         AppointmentStatus.CALLED})


class RegisterCanceller(Protocol):
    def list_appointments(self, *, from_: datetime | None = None, to: datetime | None = None,
                          page_size: int = 100) -> AsyncIterator[Appointment]: ...

    async def cancel_appointment(self, appointment_id: str, reason: str | None = None,
                                 notify_customer: bool = True) -> Appointment: ...


async def rollback(ctx: MigrationContext, client: RegisterCanceller, *, dry_run: bool) -> dict[str, Any]:
    """Cancel the converted appointments in the staged window; counts."""
    span = window(ctx)
    counts = {"converted": 0, "cancelled": 0, "notCancellable": 0, "failed": 0}
    if span is None:
        return {"step": "rollback", "dryRun": dry_run, **counts}
    with bar("rollback", None, enabled=ctx.progress) as tick:
        async for a in client.list_appointments(from_=span[0], to=span[1], page_size=500):
            if not (a.external_id or "").startswith(EXTERNAL_ID_PREFIX):
                continue
            counts["converted"] += 1
            tick()
            if a.status not in CANCELLABLE:
                counts["notCancellable"] += a.status != AppointmentStatus.CANCELLED
                continue
            if dry_run:
                continue
            try:
                await client.cancel_appointment(a.id, REASON, notify_customer=False)
                counts["cancelled"] += 1
            except DeliveryError:
                counts["failed"] += 1
    return {"step": "rollback", "dryRun": dry_run, **counts}


__all__ = ["REASON", "rollback"]
