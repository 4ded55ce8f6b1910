"""Read the register's converted appointments (externalId `jcc:…`) into `mig_register`, streaming.

The reader is any async iterator of appointments in a time window; for the real register that is
`BulkRegister.list_appointments(from_=…, to=…)` (hub.ports.register).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select

from connectors.jcc.quirks import AMSTERDAM
from hub.errors import DeliveryError
from hub.model import Appointment
from hub.ports.register import Employee, Location, Product
from mappings.jcc.mapping import EXTERNAL_ID_PREFIX, compare_view
from migration.catalogue import Entry, store_register
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
                         "view": dumps(compare_view(appointment)),
                         "body": appointment.model_dump_json(by_alias=True, exclude_none=True)})
            if len(rows) >= BATCH:
                flush()
        if rows:
            flush()
    return counts


class RegisterCatalogue(Protocol):
    """The register's reference data (`BulkRegister`)."""

    async def list_products(self) -> list[Product]: ...

    async def list_locations(self) -> list[Location]: ...

    async def list_employees(self) -> list[Employee]: ...


async def read_catalogue(ctx: MigrationContext, client: RegisterCatalogue) -> dict[str, int | str]:
    """Stage the register's products, locations and employees (what the mapping tables' targets must be)."""
    counts: dict[str, int | str] = {}
    try:
        counts["products"] = store_register(ctx.staging, "product", [Entry(p.code, p.code, p.name)
                                                                     for p in await client.list_products()])
        counts["locations"] = store_register(ctx.staging, "location", [Entry(x.id, None, x.name)
                                                                       for x in await client.list_locations()])
        counts["employees"] = store_register(ctx.staging, "employee", [Entry(x.id, None, x.name)
                                                                       for x in await client.list_employees()])
    except DeliveryError as exc:  # a register without a catalogue API: the targets go unchecked, and it says so
        counts["error"] = f"the register's catalogue could not be read ({exc}); mapping targets not checked"
    return counts


__all__ = ["BATCH", "RegisterCatalogue", "RegisterReader", "local_day", "read_back", "read_catalogue", "window"]
