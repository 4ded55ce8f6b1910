"""Plan: transform every staged appointment, validate it and compare with the register, writing nothing
to the register. Each appointment gets an action: create, update, leave, reject (with reasons) or skip
(out of scope: history that is not loaded).

Before mapping, the tables are checked (`catalogue`): plan refuses rows with empty targets and the unnamed
shipped example against another JCC; an appointment that uses a row either catalogue contradicts is
rejected with the row, the table's value and the catalogue's value as its reason."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from mappings.jcc.mapping import map_appointment
from mappings.jcc.records import JccAppointment
from migration import catalogue, views
from migration.catalogue import CatalogueCheck
from migration.collector import frozen_before
from migration.context import SHIPPED, MigrationContext
from migration.db import dumps, planned, reference, register, source
from migration.progress import bar

STEP = "plan"
#: mig_reference kind holding the last plan's cutover moment, scope and archive period.
SCOPE_KIND = "plan-scope"


def _action(outcome: str, view: str | None, targets: set[str] | None) -> str:
    if outcome == "rejected":
        return "reject"
    if outcome == "out-of-scope":
        return "skip"
    if not targets:
        return "create"
    return "leave" if view in targets else "update"


def _unmapped_reference(ctx: MigrationContext) -> dict[str, list[str]]:
    with ctx.staging.engine.connect() as conn:
        refs = list(conn.execute(select(reference.c.kind, reference.c.code)))
    tables = ctx.tables
    return {"products": sorted(r.code for r in refs if r.kind == "product" and r.code not in tables.products),
            "locations": sorted(r.code for r in refs if r.kind == "location" and r.code not in tables.locations)}


def _usable(ctx: MigrationContext) -> CatalogueCheck:
    """Refuse tables with empty targets, or the unnamed example tables against another JCC; the check."""
    empty = ctx.tables.empty_targets
    if empty:
        names = "; ".join(str(e) for e in empty[:20])
        raise ValueError(f"{len(empty)} mapping row(s) have no register target yet — fill them in first: {names}"
                         + (" …" if len(empty) > 20 else ""))
    cats = catalogue.Catalogues.load(ctx.staging)
    found = catalogue.check(ctx.tables, cats)
    differ = found.source_side()
    unknown = [k for k in ("product", "location") if k not in cats.jcc or k in cats.partial]
    if ctx.tables_dir is None and unknown and ctx.staging.count(source):
        raise ValueError(f"the shipped example tables ({SHIPPED}) describe the sandbox's catalogue, and JCC's "
                         f"{' and '.join(unknown)} catalogue was not extracted in full (an export file?), so "
                         "nothing shows this JCC is the sandbox. Name the tables to use with --mapping-dir DIR "
                         f"(`afsprakenhub migrate mapping scaffold --out DIR` writes them; --mapping-dir {SHIPPED} "
                         "uses the example)")
    if differ and ctx.tables_dir is None:
        raise ValueError(f"the shipped example tables ({SHIPPED}) describe the sandbox's catalogue, and {len(differ)} "
                         f"row(s) differ from this JCC's (e.g. {differ[0]}). Write your own with `afsprakenhub "
                         "migrate mapping scaffold --out DIR`, fill them in and pass --mapping-dir DIR "
                         f"(or name {SHIPPED} with --mapping-dir to use the example anyway)")
    return found


def _catalogue_reasons(rec: JccAppointment, found: CatalogueCheck) -> list[str]:
    if not any(found.problems.values()):  # the tables agree with both catalogues: nothing to look up
        return []
    keys = [("product", line.product_id) for line in rec.products]
    keys += [("location", rec.location_id or ""), ("employee", rec.employee_id or "")]
    return [f"catalogue-mismatch: {text}" for kind, key in keys for text in found.problems[kind].get(key, ())]


def _planned(ctx: MigrationContext, record: str, found: CatalogueCheck, moment: datetime, scope: str,
             targets: dict[str, set[str]], actions: Counter[str], reasons: Counter[str],
             warnings: Counter[str]) -> dict[str, Any]:
    """The `mig_planned` row of one staged record."""
    rec = JccAppointment.model_validate_json(record)
    out = map_appointment(rec, ctx.tables, now=moment, scope=scope, archive_days=ctx.settings.archive_days)
    mismatch = _catalogue_reasons(rec, found)
    if mismatch:  # never a silent remap: the row disagrees with a catalogue
        out = replace(out, outcome="rejected", appointment=None, reasons=(*mismatch, *out.reasons))
    body = view = digest = None
    day = out.day.isoformat() if out.day else None
    if out.appointment is not None:
        body = out.appointment.model_dump_json(by_alias=True)
        fields, day = views.view_and_day(orjson.loads(body))
        view = views.dump_view(fields)
        digest = hashlib.sha256(body.encode()).hexdigest()
    action = _action(out.outcome, view, targets.get(out.external_id))
    actions[action] += 1
    if out.reasons:
        reasons.update(out.reasons)
    if out.warnings:
        warnings.update(out.warnings)
    return {"external_id": out.external_id, "app_id": out.app_id, "day": day, "location_id": out.location_id,
            "outcome": out.outcome, "action": action, "reasons": dumps(list(out.reasons)) if out.reasons else "[]",
            "warnings": dumps(list(out.warnings)) if out.warnings else "[]", "body": body, "view": view,
            "content_hash": digest}


def plan(ctx: MigrationContext, *, scope: str | None = None, cutover: datetime | None = None) -> dict[str, Any]:
    """Recompute `mig_planned` from `mig_source` and `mig_register` (read back just before)."""
    found = _usable(ctx)
    staging = ctx.staging
    scope = scope or ctx.settings.scope
    moment = cutover or ctx.clock()
    staging.clear(planned)
    staging.reset_step("load")  # a new plan may change days already loaded; mig_loaded still skips what is in
    actions: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    total = staging.count(source)
    with staging.engine.begin() as conn:  # reconcile judges the scope again, on its own, from these
        staging.upsert(conn, reference, [{"kind": SCOPE_KIND, "code": "last", "payload": dumps(
            {"cutover": moment.isoformat(), "scope": scope, "archiveDays": ctx.settings.archive_days})}])
    looked_up = staging.count(register) > 0  # nothing read back: every appointment is a create
    with frozen_before(), bar("plan", total, enabled=ctx.progress) as tick:
        for batch in staging.stream_rows(select(source.c.external_id, source.c.record), source.c.external_id):
            targets: dict[str, set[str]] = {}
            if looked_up:
                with staging.engine.connect() as conn:
                    for t in conn.execute(select(register.c.external_id, register.c.view)
                                          .where(register.c.external_id.in_([ext for ext, _ in batch]))):
                        targets.setdefault(t.external_id, set()).add(t.view)
            rows = [_planned(ctx, record, found, moment, scope, targets, actions, reasons, warnings)
                    for _, record in batch]
            with staging.engine.begin() as conn:
                staging.insert_many(conn, planned, rows, replace=True)
            tick(len(batch))
    return {"step": STEP, "scope": scope, "cutover": moment.isoformat(), "archiveDays": ctx.settings.archive_days,
            "staged": total, "create": actions["create"], "update": actions["update"], "leave": actions["leave"],
            "reject": actions["reject"], "outOfScope": actions["skip"],
            "rejectReasons": dict(reasons.most_common()), "warnings": dict(warnings.most_common()),
            "unmappedReference": _unmapped_reference(ctx), "catalogue": found.summary(),
            "mappingTables": ctx.tables_label}


__all__ = ["SCOPE_KIND", "STEP", "plan"]
