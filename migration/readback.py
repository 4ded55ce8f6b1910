"""Read the register's converted appointments (externalId `jcc:…`) into `mig_register`, streaming.

The reader is any async iterator of the register's appointments in a time window as JSON objects (the canonical
wire form); for the real register that is `steps.reader_of(client)`: `BulkRegister.list_appointment_objects`,
which for the canonical register is its `GET /appointments` pages as answered.
They are stored as answered (plus the compared fields, `views.view_of`), without building models: reconcile
compares what the register said, and a malformed appointment becomes a discrepancy, not a crash.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import func, select

from connectors.jcc.quirks import AMSTERDAM
from hub.errors import DeliveryError
from hub.ports.register import Employee, Location, Product
from mappings.jcc.mapping import EXTERNAL_ID_PREFIX
from migration import views
from migration.catalogue import Entry, store_register
from migration.collector import frozen_before
from migration.context import MigrationContext
from migration.db import register, source
from migration.progress import bar

#: Reads the register's appointments that start in [from, to), each the JSON object its API answered.
RegisterReader = Callable[[datetime, datetime], AsyncIterator[views.Wire]]
BATCH = 2000


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


def row_of(item: views.Wire) -> dict[str, Any] | None:
    """The `mig_register` row of one appointment the register answered; None when it is not a converted one."""
    ext = item.get("externalId")
    if not isinstance(ext, str) or not ext.startswith(EXTERNAL_ID_PREFIX):
        return None
    view, day = views.view_and_day(item)
    return {"register_id": str(item.get("id") or f"(no id: {ext})"), "external_id": ext, "day": day,
            "view": views.dump_view(view), "body": orjson.dumps(item).decode()}


async def read_back(ctx: MigrationContext, reader: RegisterReader) -> dict[str, Any]:
    """Replace `mig_register` with the register's `jcc:` appointments in the staged window."""
    staging = ctx.staging
    staging.clear(register)
    span = window(ctx)
    counts = {"read": 0, "converted": 0}
    if span is None:
        return counts
    rows: list[dict[str, Any]] = []
    read = 0
    with frozen_before(), bar("read back", None, enabled=ctx.progress) as tick:
        async for item in reader(*span):
            read += 1
            row = row_of(item)
            if row is not None:
                rows.append(row)
            if read % BATCH == 0:  # the bar moves, and the rows are written, once per batch
                _flush(ctx, rows, counts)
                tick(BATCH)
        _flush(ctx, rows, counts)
        tick(read % BATCH)
    counts["read"] = read
    return counts


def _flush(ctx: MigrationContext, rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    if rows:
        with ctx.staging.engine.begin() as conn:
            ctx.staging.insert_many(conn, register, rows, replace=True)
        counts["converted"] += len(rows)
        rows.clear()


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


__all__ = ["BATCH", "RegisterCatalogue", "RegisterReader", "local_day", "read_back", "read_catalogue",
           "row_of", "window"]
