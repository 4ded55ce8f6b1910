"""Extract: JCC (SOAP or export file) → `mig_source`, with the raw payload hash for provenance.

SOAP: reference data (locations, products), then per day * location `getGovAppointments` and the
extended details of each appointment (bounded concurrency). Each day * location is checkpointed, so a
crash resumes at the first unfinished one; `refresh=True` fetches everything again (final delta) and
drops staged appointments JCC no longer lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import and_, select

from mappings.jcc.mapping import external_id
from mappings.jcc.records import JccAppointment, JccLocation, JccProduct
from migration.context import MigrationContext
from migration.db import dumps, now, reference, source
from migration.progress import bar

STEP = "extract"
#: Day * location units fetched at the same time (each also fetches its details concurrently).
LISTING_WORKERS = 4


class JccSource(Protocol):
    """What extract needs from the JCC connector (`connectors.jcc.JccClient`)."""

    def location_ids(self) -> list[str]: ...

    def location(self, location_id: str) -> JccLocation: ...

    def products(self) -> list[JccProduct]: ...

    def appointment_ids(self, day: date, location_id: str) -> list[str]: ...

    def payloads(self, app_ids: Iterable[str], location_id: str | None = None,
                 concurrency: int | None = None) -> Iterator[tuple[JccAppointment, str, dict[str, Any] | None]]: ...


def _row(rec: JccAppointment, digest: str, origin: str, day: date | None,
         raw: Mapping[str, Any] | None = None) -> dict[str, Any]:
    when = day or (rec.start.date() if rec.start else None)
    return {"external_id": external_id(rec.app_id), "app_id": rec.app_id, "day": when.isoformat() if when else None,
            "location_id": rec.location_id, "record": rec.model_dump_json(), "payload_hash": digest,
            "raw": dumps(dict(raw)) if raw is not None else None, "origin": origin, "extracted_at": now()}


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def extract_soap(ctx: MigrationContext, client: JccSource, first: date, last: date,
                 locations: list[str] | None = None, *, dry_run: bool = False, refresh: bool = False,
                 concurrency: int | None = None) -> dict[str, Any]:
    """Stage JCC's appointments from `first` to `last` (inclusive); counts of what happened."""
    if last < first:
        raise ValueError("--to must not be before --from")
    staging = ctx.staging
    available = client.location_ids()
    chosen = [loc for loc in available if not locations or loc in locations]
    unknown = sorted(set(locations or ()) - set(available))
    refs = [{"kind": "location", "code": loc.location_id, "payload": loc.model_dump_json()}
            for loc in (client.location(i) for i in chosen)]
    refs += [{"kind": "product", "code": p.product_id, "payload": p.model_dump_json()} for p in client.products()]
    if not dry_run:
        with staging.engine.begin() as conn:
            staging.upsert(conn, reference, refs)
    done = set() if dry_run or refresh else staging.done(STEP)
    counts = {"days": (last - first).days + 1, "locationCount": len(chosen), "listed": 0, "staged": 0,
              "incomplete": 0, "removed": 0, "resumedPast": 0, "emptyDays": 0}
    work = [(d, loc) for d in days_between(first, last) for loc in chosen]

    def fetch(unit: tuple[date, str]) -> tuple[str, list[dict[str, Any]]] | None:
        day, loc = unit
        key = f"{day.isoformat()}|{loc}"
        if key in done:
            return None
        ids = client.appointment_ids(day, loc)
        return key, [_row(rec, digest, "jcc-soap", day, raw)
                     for rec, digest, raw in client.payloads(ids, loc, concurrency)]

    with bar("extract", len(work), enabled=ctx.progress) as tick, \
            ThreadPoolExecutor(max_workers=LISTING_WORKERS, thread_name_prefix="jcc-days") as pool:
        for (day, loc), fetched in zip(work, pool.map(fetch, work), strict=True):
            tick()
            if fetched is None:
                counts["resumedPast"] += 1
                continue
            key, rows = fetched
            counts["listed"] += len(rows)
            counts["emptyDays"] += not rows
            counts["incomplete"] += sum(1 for r in rows if '"complete":false' in r["record"])
            counts["staged"] += len(rows)
            if dry_run:
                continue
            with staging.engine.begin() as conn:
                keep = {r["external_id"] for r in rows}
                stale = and_(source.c.day == day.isoformat(), source.c.location_id == loc,
                             source.c.origin == "jcc-soap")
                gone = [r.external_id for r in conn.execute(select(source.c.external_id).where(stale))
                        if r.external_id not in keep]
                if gone:
                    conn.execute(source.delete().where(source.c.external_id.in_(gone)))
                counts["removed"] += len(gone)
                staging.upsert(conn, source, rows)
                staging.mark(conn, STEP, key, {"appointments": len(rows)})
    return {"step": STEP, "source": "jcc-soap", "dryRun": dry_run, "from": first.isoformat(),
            "to": last.isoformat(), "locations": chosen, "unknownLocations": unknown, **counts,
            "stagedTotal": staging.count(source)}


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def extract_export(ctx: MigrationContext, path: Path, *, dry_run: bool = False) -> dict[str, Any]:
    """Stage every row of a JCC export file (re-running replaces rows with the same appointment id)."""
    from connectors.jcc.export import count_rows, read_export_rows

    staging = ctx.staging
    counts = {"staged": 0, "incomplete": 0, "withProblems": 0}
    employees: dict[str, str | None] = {}
    seen: dict[str, dict[str, str | None]] = {"location": {}, "product": {}}
    with bar("extract", count_rows(path), enabled=ctx.progress) as tick:
        for chunk in _chunks(read_export_rows(path), 1000):
            rows = [_row(rec, digest, "jcc-export", None, raw) for rec, digest, raw in chunk]
            counts["withProblems"] += sum(1 for rec, _, _ in chunk if rec.problems)
            for rec, _, raw in chunk:
                if rec.employee_id:
                    name = (raw.get("employeeName") or "").strip() or None
                    employees[rec.employee_id] = employees.get(rec.employee_id) or name
                if rec.location_id:
                    seen["location"][rec.location_id] = (seen["location"].get(rec.location_id)
                                                         or rec.location_description)
                if len(rec.products) == 1:  # a row's productDescription describes its (first) product
                    pid = rec.products[0].product_id
                    seen["product"][pid] = seen["product"].get(pid) or rec.product_description
            if not dry_run:
                with staging.engine.begin() as conn:
                    staging.upsert(conn, source, rows)
            counts["staged"] += len(rows)
            tick(len(rows))
    if not dry_run:  # the export is JCC's only catalogue of employees; of the rest, what its rows say
        refs = [{"kind": "employee", "code": k, "payload": dumps({"employee_id": k, "name": v, "partial": True})}
                for k, v in sorted(employees.items())]
        refs += [{"kind": kind, "code": k, "payload": dumps({"description": v, "partial": True})}
                 for kind, found in seen.items() for k, v in sorted(found.items()) if v]
        with staging.engine.begin() as conn:
            staging.upsert(conn, reference, refs)
    return {"step": STEP, "source": "jcc-export", "file": str(path), "dryRun": dry_run, **counts,
            "employees": len(employees), "stagedTotal": staging.count(source)}


__all__ = ["STEP", "JccSource", "days_between", "extract_export", "extract_soap"]
