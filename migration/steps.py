"""The steps as callables with their connectors wired in: what the CLI (and tests) run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hub.config import Settings
from hub.ports.register import BulkRegister, Capability, UnsupportedError, require
from hub.ports.register_vendors import build_bulk
from migration import extract, load, plan, readback, reconcile, report
from migration.context import MigrationContext
from migration.ratelimit import AdaptiveRateLimiter, rate_limited_http
from migration.views import Wire
from migration.waivers import Waivers

#: The load writes by external id `jcc:<appID>` (create or update): a register must be able to do that.
LOAD_NEEDS = (Capability.UPSERT_BY_EXTERNAL_ID,)
#: Read back and reconcile read the converted appointments in the staged window.
READ_NEEDS = (Capability.LIST_APPOINTMENTS,)
#: Rollback cancels the converted appointments it reads.
ROLLBACK_NEEDS = (Capability.LIST_APPOINTMENTS, Capability.CANCEL)


def register_client(settings: Settings, *, concurrency: int | None = None,
                    rate: float | None = None) -> tuple[BulkRegister, AdaptiveRateLimiter]:
    """The configured register's bulk adapter behind the migration's rate limit and concurrency bound."""
    section = settings.migration
    conc = concurrency or section.register_concurrency
    limiter = AdaptiveRateLimiter(rate or section.register_rate_per_second)
    http = rate_limited_http(limiter, concurrency=conc, timeout=settings.register_api.timeout_seconds)
    # The adapter closes the rate-limited http client with itself (`async with client`): no socket left open.
    return build_bulk(settings, http, conc), limiter


def refuse_unless(settings: Settings, *needs: Capability) -> None:
    """UnsupportedError (before any I/O, naming the capability) when the configured register lacks `needs`."""
    from hub.ports.register_vendors import build_register

    register = build_register(settings)
    try:
        require(register, *needs)
    finally:
        register.close()


def reader_of(client: BulkRegister) -> readback.RegisterReader:
    """The register's appointments in a window as JSON objects, as the register answered them (no models)."""
    def read(lo: datetime, hi: datetime) -> AsyncIterator[Wire]:
        return client.list_appointment_objects(from_=lo, to=hi)
    return read


def run_extract_soap(ctx: MigrationContext, settings: Settings, *, wsdl: str | None, first: date, last: date,
                     locations: list[str] | None, dry_run: bool, refresh: bool,
                     concurrency: int | None) -> dict[str, Any]:
    from connectors.jcc import JccClient

    jcc = settings.migration.jcc()
    if wsdl:
        jcc = jcc.model_copy(update={"wsdl_url": wsdl})
    with JccClient.from_settings(jcc) as client:
        return extract.extract_soap(ctx, client, first, last, locations, dry_run=dry_run, refresh=refresh,
                                    concurrency=concurrency)


def run_extract_export(ctx: MigrationContext, path: Path, *, dry_run: bool) -> dict[str, Any]:
    return extract.extract_export(ctx, path, dry_run=dry_run)


async def _plan(ctx: MigrationContext, settings: Settings, scope: str | None, cutover: datetime | None
                ) -> dict[str, Any]:
    client, _ = register_client(settings)
    async with client:
        back = await readback.read_back(ctx, reader_of(client))
        cat = await readback.read_catalogue(ctx, client)
    return {**plan.plan(ctx, scope=scope, cutover=cutover), "registerReadBack": back, "registerCatalogue": cat}


def run_plan(ctx: MigrationContext, settings: Settings, *, scope: str | None = None,
             cutover: datetime | None = None) -> dict[str, Any]:
    return asyncio.run(_plan(ctx, settings, scope, cutover))


async def _load(ctx: MigrationContext, settings: Settings, dry_run: bool, concurrency: int | None,
                rate: float | None, batch_size: int | None) -> dict[str, Any]:
    refuse_unless(settings, *LOAD_NEEDS)  # also on a dry run: it must not promise a load that cannot happen
    if dry_run:
        return await load.load(ctx, None, dry_run=True, batch_size=batch_size)
    client, limiter = register_client(settings, concurrency=concurrency, rate=rate)
    async with client:
        result = await load.load(ctx, client, batch_size=batch_size)
    return {**result, "throttled": limiter.throttled, "finalRatePerSecond": round(limiter.rate, 2),
            "concurrency": client.max_concurrency}


def run_load(ctx: MigrationContext, settings: Settings, *, dry_run: bool = False, concurrency: int | None = None,
             rate: float | None = None, batch_size: int | None = None) -> dict[str, Any]:
    return asyncio.run(_load(ctx, settings, dry_run, concurrency, rate, batch_size))


async def _reconcile(ctx: MigrationContext, settings: Settings, waivers: Waivers) -> dict[str, Any]:
    client, _ = register_client(settings)
    async with client:
        back = await readback.read_back(ctx, reader_of(client))
        cat = await readback.read_catalogue(ctx, client)
    return {**reconcile.compare(ctx, waivers), "registerReadBack": back, "registerCatalogue": cat}


def run_reconcile(ctx: MigrationContext, settings: Settings, *, waiver_file: Path | None = None) -> dict[str, Any]:
    waivers = Waivers.load(waiver_file or settings.migration.waiver_file)
    return asyncio.run(_reconcile(ctx, settings, waivers))


def run_report(ctx: MigrationContext, out_dir: Path, *, dry_run: bool = False) -> dict[str, Any]:
    return report.render(ctx, out_dir, dry_run=dry_run)


__all__ = ["LOAD_NEEDS", "READ_NEEDS", "ROLLBACK_NEEDS", "UnsupportedError", "reader_of", "refuse_unless",
           "register_client", "run_extract_export", "run_extract_soap", "run_load", "run_plan", "run_reconcile",
           "run_report"]
