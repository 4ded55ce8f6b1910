"""Read the register's converted appointments (externalId `jcc:…`) into `mig_register`, streaming.

The reader is any async iterator of appointments in a time window; for the real register that is
`AsyncRegisterClient.list_appointments(from_=…, to=…)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from connectors.jcc.quirks import AMSTERDAM
from hub.model import Appointment
from mappings.jcc.mapping import EXTERNAL_ID_PREFIX, compare_view
from migration.context import MigrationContext
from migration.db import dumps, register, source
from migration.progress import bar

#: Reads the register's appointments that start in [from, to).
RegisterReader = Callable[[datetime, datetime], AsyncIterator[Appointment]]
BATCH = 1000


def window(ctx: MigrationContext) -> tuple[datetime, datetime] | None:
    """[first staged day 00:00, day after the last staged day 00:00) in Amsterdam time; None if empty."""
    with ctx.staging.engine.connect() as conn:
        first, last = conn.execute(select(func.min(source.c.day), func.max(source.c.day))).one()
    if first is None:
        return None
    lo = datetime.combine(date.fromisoformat(first), time(0), AMSTERDAM)
    hi = datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(0), AMSTERDAM)
    return lo, hi


def local_day(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).date().isoformat()


async def read_back(ctx: MigrationContext, reader: RegisterReader) -> dict[str, Any]:
    """Replace `mig_register` with the register's `jcc:` appointments in the staged window."""
    staging = ctx.staging
    staging.clear(register)
    span = window(ctx)
    counts = {"read": 0, "converted": 0}
    if span is None:
        return counts
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        with staging.engine.begin() as conn:
            staging.upsert(conn, register, rows)
        rows.clear()

    with bar("read back", None, enabled=ctx.progress) as tick:
        async for appointment in reader(*span):
            counts["read"] += 1
            tick()
            ext = appointment.external_id or ""
            if not ext.startswith(EXTERNAL_ID_PREFIX):
                continue
            counts["converted"] += 1
            rows.append({"register_id": appointment.id, "external_id": ext, "day": local_day(appointment.start),
                         "view": dumps(compare_view(appointment))})
            if len(rows) >= BATCH:
                flush()
        if rows:
            flush()
    return counts


__all__ = ["BATCH", "RegisterReader", "local_day", "read_back", "window"]
