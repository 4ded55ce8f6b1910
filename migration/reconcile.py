"""Reconcile: compare the register, read back through its API, with what JCC held and with what was planned.

Two independent passes. JCC against the register (`source_check`, without the mapping code): every field
that differs is a `source-mismatch` (with JCC's and the register's value), as is an appointment the plan
skipped as history although JCC's start time puts it in scope. The plan against the register: missing
(planned, not in the register), unexpected (a `jcc:` appointment the source does not have), mismatched
(per field: what was sent and what is there — load errors), duplicate (one JCC appointment twice in the
register), rejected (at transform, with the reason). A waiver explains a discrepancy. Aggregates per
day * location * product are counted on both sides. Everything streams in batches.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from sqlalchemy import select

from mappings.jcc.mapping import EXTERNAL_ID_PREFIX, PERSONAL_FIELDS
from migration import source_check
from migration.catalogue import Catalogues
from migration.context import MigrationContext
from migration.db import aggregates, discrepancies, planned, reference, register, source
from migration.plan import SCOPE_KIND
from migration.progress import bar
from migration.waivers import Waivers

STEP = "reconcile"
KINDS = ("source-mismatch", "missing", "unexpected", "mismatched", "duplicate", "rejected")
EXAMPLES = 3
AggKey = tuple[str, str, str]


#: Free text that may hold personal data, masked like the customer's fields.
FREE_TEXT_FIELDS = frozenset({"notes"})


def mask(field: str, value: str | None) -> str | None:
    """Personal values are replaced by a fingerprint (equal values give equal fingerprints)."""
    if value is None or (field not in PERSONAL_FIELDS and field not in FREE_TEXT_FIELDS):
        return value
    if value == "":
        return "(empty)"
    return f"[masked #{hashlib.sha256(value.encode()).hexdigest()[:8]}]"


def _products(view: dict[str, str]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for item in filter(None, view.get("products", "").split(";")):
        code, _, qty = item.rpartition("*")
        out.append((code, int(qty or 1)))
    return out


def _count(agg: dict[AggKey, list[int]], side: int, day: str | None, view: dict[str, str]) -> None:
    for code, qty in _products(view) or [("(none)", 1)]:
        agg.setdefault((day or "", view.get("location", ""), code), [0, 0])[side] += qty


class _Writer:
    """Collects discrepancy rows, applies waivers and writes them in batches."""

    def __init__(self, ctx: MigrationContext, waivers: Waivers) -> None:
        self.ctx, self.waivers = ctx, waivers
        self.rows: list[dict[str, Any]] = []
        self.kinds: Counter[str] = Counter()
        self.unexplained: Counter[str] = Counter()
        self.fields: Counter[str] = Counter()
        self.source_fields: Counter[str] = Counter()
        self.examples: dict[str, list[dict[str, str | None]]] = {}

    def add(self, kind: str, ext: str, day: str | None, *, field: str | None = None, source: str | None = None,
            target: str | None = None, reason: str | None = None) -> None:
        waiver = self.waivers.find(ext.removeprefix(EXTERNAL_ID_PREFIX), kind)
        self.kinds[kind] += 1
        if waiver is None:
            self.unexplained[kind] += 1
        if field and kind == "mismatched":
            self.fields[field] += 1
        if field and kind == "source-mismatch":
            self.source_fields[field] += 1
            shown = self.examples.setdefault(field, [])
            if len(shown) < EXAMPLES:
                shown.append({"appointment": ext, "jcc": mask(field, source), "register": mask(field, target)})
        self.rows.append({"kind": kind, "external_id": ext, "day": day, "field": field,
                          "source_value": mask(field or "", source), "target_value": mask(field or "", target),
                          "reason": reason, "explained": waiver is not None,
                          "waiver": waiver.reason if waiver else None})
        if len(self.rows) >= 1000:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with self.ctx.staging.engine.begin() as conn:
                conn.execute(discrepancies.insert(), self.rows)
            self.rows.clear()


def compare(ctx: MigrationContext, waivers: Waivers | None = None) -> dict[str, Any]:
    """Compare `mig_planned` with `mig_register` (read back just before); write discrepancies and aggregates."""
    staging = ctx.staging
    staging.clear(discrepancies, aggregates)
    out = _Writer(ctx, waivers or Waivers())
    agg: dict[AggKey, list[int]] = {}
    outcome: Counter[str] = Counter()
    total = staging.count(planned)
    with bar("reconcile", total + staging.count(register), enabled=ctx.progress) as tick:
        for batch in staging.stream(planned, columns=["external_id", "day", "outcome", "reasons", "view"]):
            keys = [r.external_id for r in batch]
            targets: dict[str, list[Any]] = {}
            with staging.engine.connect() as conn:
                for t in conn.execute(select(register.c.external_id, register.c.day, register.c.view)
                                      .where(register.c.external_id.in_(keys))):
                    targets.setdefault(t.external_id, []).append(t)
            for r in batch:
                found = targets.get(r.external_id, [])
                outcome[r.outcome] += 1
                if r.outcome == "rejected":
                    out.add("rejected", r.external_id, r.day, reason="; ".join(json.loads(r.reasons)))
                    continue
                if r.outcome != "ok":
                    continue
                view = json.loads(r.view)
                _count(agg, 0, r.day, view)
                for t in found:
                    _count(agg, 1, t.day, json.loads(t.view))
                if not found:
                    out.add("missing", r.external_id, r.day, reason="not in the register")
                    continue
                if len(found) > 1:
                    out.add("duplicate", r.external_id, r.day, reason=f"{len(found)} register appointments")
                target = json.loads(found[0].view)
                for field, value in view.items():
                    if target.get(field, "") != value:
                        out.add("mismatched", r.external_id, r.day, field=field, source=value,
                                target=target.get(field, ""))
            tick(len(batch))
        for batch in staging.stream(register, key="register_id", columns=["register_id", "external_id", "day", "view"]):
            keys = list({r.external_id for r in batch})
            with staging.engine.connect() as conn:
                known = {k for (k,) in conn.execute(select(planned.c.external_id)
                                                    .where(planned.c.external_id.in_(keys)))}
            for r in batch:
                if r.external_id not in known:
                    _count(agg, 1, r.day, json.loads(r.view))
                    out.add("unexpected", r.external_id, r.day, reason="no such JCC appointment was staged")
            tick(len(batch))
    compared = _source_against_register(ctx, out)
    out.flush()
    rows = [{"day": d, "location_id": loc, "product": p, "source_count": s, "target_count": t}
            for (d, loc, p), (s, t) in agg.items()]
    with staging.engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            conn.execute(aggregates.insert(), rows[i:i + 1000])
    unexplained = sum(out.unexplained.values())
    return {"step": STEP, "planned": total, "inScope": outcome["ok"], "rejected": outcome["rejected"],
            "outOfScope": outcome["out-of-scope"], "registerConverted": staging.count(register),
            "discrepancies": {k: out.kinds[k] for k in KINDS},
            "unexplained": {k: out.unexplained[k] for k in KINDS}, "unexplainedTotal": unexplained,
            "explainedTotal": sum(out.kinds.values()) - unexplained, "waivers": len(waivers or ()),
            "mismatchedFields": dict(out.fields.most_common()), "sourceCompared": compared,
            "sourceMismatchedFields": dict(out.source_fields.most_common()), "sourceExamples": out.examples,
            "mappingTables": ctx.tables_label,
            "aggregateCellsDiffering": sum(1 for s, t in agg.values() if s != t),
            "clean": unexplained == 0}


def _source_against_register(ctx: MigrationContext, out: _Writer) -> int:
    """JCC's raw payload against the register's appointment, for every staged one the register holds."""
    staging = ctx.staging
    walk = source_check.Crosswalk.build(ctx.tables, Catalogues.load(staging))
    with staging.engine.connect() as conn:
        scope_row = conn.execute(select(reference.c.payload).where(reference.c.kind == SCOPE_KIND)).first()
    plan_scope = json.loads(scope_row.payload) if scope_row else None
    compared = 0
    with bar("source vs register", staging.count(source), enabled=ctx.progress) as tick:
        for batch in staging.stream(source, columns=["external_id", "day", "raw"]):
            keys = [r.external_id for r in batch if r.raw]
            held: dict[str, str] = {}
            with staging.engine.connect() as conn:
                for t in conn.execute(select(register.c.external_id, register.c.body)
                                      .where(register.c.external_id.in_(keys))):
                    if t.body:
                        held.setdefault(t.external_id, t.body)
            skipped = _skipped_as_history(ctx, [r.external_id for r in batch if r.raw and r.external_id not in held])
            for r in batch:
                body = held.get(r.external_id)
                if body is None and r.raw and plan_scope and r.external_id in skipped:
                    why = source_check.belongs_in_register(json.loads(r.raw), plan_scope)
                    if why:  # the plan called it history; JCC's own start time says otherwise
                        out.add("source-mismatch", r.external_id, r.day, field="scope", source=why,
                                target="not in the register (the plan skipped it as history)",
                                reason="scope: JCC's start time puts it in scope")
                if body is None or not r.raw:
                    continue
                compared += 1
                for field, jcc, reg in source_check.compare(json.loads(r.raw), json.loads(body), walk):
                    out.add("source-mismatch", r.external_id, r.day, field=field, source=jcc, target=reg,
                            reason=f"{field}: the register differs from what JCC held")
            tick(len(batch))
    return compared


def _skipped_as_history(ctx: MigrationContext, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    with ctx.staging.engine.connect() as conn:
        return {k for (k,) in conn.execute(select(planned.c.external_id).where(
            planned.c.external_id.in_(keys), planned.c.outcome == "out-of-scope"))}


__all__ = ["KINDS", "STEP", "compare", "mask"]
