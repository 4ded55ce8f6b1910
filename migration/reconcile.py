"""Reconcile: compare the register, read back through its API, with what JCC held and with what was planned.

Two independent comparisons, made in one read of the staged rows (planned, JCC's raw payload and the register's
answer joined by appointment). JCC against the register (`source_check`, without the mapping code): every field
that differs is a `source-mismatch` (with JCC's and the register's value), as is an appointment the plan
skipped as history although JCC's start time puts it in scope. The plan against the register: missing
(planned, not in the register), unexpected (a `jcc:` appointment the source does not have), mismatched
(per field: what was sent and what is there — load errors), duplicate (one JCC appointment twice in the
register), rejected (at transform, with the reason). A waiver explains a discrepancy. Aggregates per
day * location * product are counted on both sides. Everything streams in batches. Both sides' compared
fields are stored as text made by one function (`views`): when the texts are equal, nothing more is looked at.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import exists, select

from mappings.jcc.mapping import EXTERNAL_ID_PREFIX, PERSONAL_FIELDS
from migration import source_check
from migration.catalogue import Catalogues
from migration.collector import frozen_before
from migration.context import MigrationContext
from migration.db import LookUp, aggregates, discrepancies, planned, reference, register, source
from migration.plan import SCOPE_KIND
from migration.progress import bar
from migration.views import load_view
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


Cells = list[tuple[str, str, int]]


class _Aggregates:
    """Counts per day * location * product on both sides (0: planned, 1: the register)."""

    def __init__(self) -> None:
        self.counts: dict[AggKey, list[int]] = {}
        self._cells: dict[str, Cells] = {}

    def add(self, side: int, day: str | None, view: str, both: bool = False) -> None:
        """Count `view` (a stored view's text) on `side`, or on both sides at once."""
        key = _cells_key(view)
        cells = self._cells.get(key)
        if cells is None:
            parsed = load_view(view)
            location, products = parsed.get("location", ""), parsed.get("products", "")
            cells = [(location, code, qty) for code, qty in _products(products)] or [(location, "(none)", 1)]
            if len(self._cells) < 10_000:  # only the location and products count: few sets repeat
                self._cells[key] = cells
        for location, code, qty in cells:
            counts = self.counts.setdefault((day or "", location, code), [0, 0])
            counts[side] += qty
            if both:
                counts[1 - side] += qty


def _cells_key(view: str) -> str:
    """The part of a view's text that holds its location and products, else the whole text.

    `views.dump_view` writes the keys sorted ("location" < "products" < "start") and escapes every quote inside a
    value, so the text from `,"location":` up to `,"start":` holds exactly those two fields (and any key sorted
    between them): equal parts, equal location and products. Views differ per customer; this part seldom does.
    """
    first = view.find(',"location":')
    last = view.find(',"start":', first)
    return view[first:last] if 0 <= first < last else view


def _products(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for item in filter(None, text.split(";")):
        code, _, qty = item.rpartition("*")
        out.append((code, int(qty or 1)))
    return out


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
    """Compare `mig_planned` and `mig_source` with `mig_register` (read back just before); write discrepancies
    and aggregates."""
    staging = ctx.staging
    staging.clear(discrepancies, aggregates)
    out = _Writer(ctx, waivers or Waivers())
    agg = _Aggregates()
    outcome: Counter[str] = Counter()
    total = staging.count(planned)
    check = _SourceCheck(ctx, out)
    look_up = staging.rows_in(select(*_Held.columns()), register.c.external_id)
    with frozen_before(), bar("reconcile", total + staging.count(register), enabled=ctx.progress) as tick:
        joined = (select(planned.c.external_id, planned.c.day, planned.c.outcome, planned.c.reasons, planned.c.view,
                         source.c.day.label("source_day"), source.c.raw)
                  .select_from(planned.outerjoin(source, source.c.external_id == planned.c.external_id)))
        for page in staging.stream_rows(joined, planned.c.external_id):
            held = _held(look_up, [row[0] for row in page])
            for ext, day, result, reasons, view, source_day, raw in page:
                found = held.get(ext, [])
                outcome[result] += 1
                if raw:
                    check.one(ext, source_day, raw, found[0].body if found else None, result)
                _against_plan((ext, day, result, reasons, view), found, out, agg)
            tick(len(page))
        unplanned = select(source.c.external_id, source.c.day, source.c.raw).where(~exists().where(
            planned.c.external_id == source.c.external_id))  # staged after the plan: JCC against the register still
        for batch in staging.stream_query(unplanned, source.c.external_id):
            held = _held(look_up, [r.external_id for r in batch])
            for r in batch:
                if r.raw and r.external_id in held:
                    check.one(r.external_id, r.day, r.raw, held[r.external_id][0].body, None)
        unknown = select(register.c.register_id, register.c.external_id, register.c.day, register.c.view).where(
            ~exists().where(planned.c.external_id == register.c.external_id))
        for batch in staging.stream_query(unknown, register.c.register_id):
            for r in batch:
                agg.add(1, r.day, r.view)
                out.add("unexpected", r.external_id, r.day, reason="no such JCC appointment was staged")
        tick(staging.count(register))
    out.flush()
    rows = [{"day": d, "location_id": loc, "product": p, "source_count": s, "target_count": t}
            for (d, loc, p), (s, t) in agg.counts.items()]
    with staging.engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            conn.execute(aggregates.insert(), rows[i:i + 1000])
    unexplained = sum(out.unexplained.values())
    return {"step": STEP, "planned": total, "inScope": outcome["ok"], "rejected": outcome["rejected"],
            "outOfScope": outcome["out-of-scope"], "registerConverted": staging.count(register),
            "discrepancies": {k: out.kinds[k] for k in KINDS},
            "unexplained": {k: out.unexplained[k] for k in KINDS}, "unexplainedTotal": unexplained,
            "explainedTotal": sum(out.kinds.values()) - unexplained, "waivers": len(waivers or ()),
            "mismatchedFields": dict(out.fields.most_common()), "sourceCompared": check.compared,
            "sourceMismatchedFields": dict(out.source_fields.most_common()), "sourceExamples": out.examples,
            "mappingTables": ctx.tables_label,
            "aggregateCellsDiffering": sum(1 for s, t in agg.counts.values() if s != t),
            "clean": unexplained == 0}


class _Held(NamedTuple):
    """One of the register's rows for a JCC appointment (`mig_register`)."""

    register_id: str
    external_id: str
    day: str | None
    view: str
    body: str | None

    @staticmethod
    def columns() -> list[Any]:
        """The `mig_register` columns, in the fields' order."""
        return [register.c[name] for name in _Held._fields]


def _held(look_up: LookUp, keys: list[str]) -> dict[str, list[_Held]]:
    """The register's rows for these JCC appointments (more than one: a duplicate), read through the driver."""
    held: dict[str, list[_Held]] = {}
    for t in map(_Held._make, look_up(keys)):  # no ORDER BY: the database would sort the whole batch's bodies
        held.setdefault(t.external_id, []).append(t)
    for rows in held.values():
        if len(rows) > 1:  # a duplicate: the register's rows in id order, as before
            rows.sort(key=lambda t: t.register_id)
    return held


def _against_plan(planned_row: tuple[Any, ...], found: list[_Held], out: _Writer, agg: _Aggregates) -> None:
    """One planned appointment (external id, day, outcome, reasons, view) against what the register holds for it."""
    ext, day, result, reasons, planned_view = planned_row
    if result == "rejected":
        out.add("rejected", ext, day, reason="; ".join(orjson.loads(reasons)))
        return
    if result != "ok":
        return
    if len(found) == 1 and found[0].view == planned_view and found[0].day == day:
        agg.add(0, day, planned_view, both=True)  # the same text: the same fields, nothing to look at
        return
    agg.add(0, day, planned_view)
    for t in found:
        agg.add(1, t.day, t.view)
    if not found:
        out.add("missing", ext, day, reason="not in the register")
        return
    if len(found) > 1:
        out.add("duplicate", ext, day, reason=f"{len(found)} register appointments")
    view, target = load_view(planned_view), load_view(found[0].view)
    for field, value in view.items():
        if target.get(field, "") != value:
            out.add("mismatched", ext, day, field=field, source=value, target=target.get(field, ""))


class _SourceCheck:
    """JCC's raw payload against the register's appointment (`source_check`, independent of the mapping)."""

    def __init__(self, ctx: MigrationContext, out: _Writer) -> None:
        self.out = out
        self.walk = source_check.Crosswalk.build(ctx.tables, Catalogues.load(ctx.staging))
        with ctx.staging.engine.connect() as conn:
            row = conn.execute(select(reference.c.payload).where(reference.c.kind == SCOPE_KIND)).first()
        self.plan_scope = orjson.loads(row.payload) if row else None
        self.compared = 0

    def one(self, ext: str, day: str | None, raw: str, body: str | None, outcome: str | None) -> None:
        if body is None:
            if outcome == "out-of-scope" and self.plan_scope:
                why = source_check.belongs_in_register(orjson.loads(raw), self.plan_scope)
                if why:  # the plan called it history; JCC's own start time says otherwise
                    self.out.add("source-mismatch", ext, day, field="scope", source=why,
                                 target="not in the register (the plan skipped it as history)",
                                 reason="scope: JCC's start time puts it in scope")
            return
        self.compared += 1
        for field, jcc, reg in source_check.compare(orjson.loads(raw), orjson.loads(body), self.walk):
            self.out.add("source-mismatch", ext, day, field=field, source=jcc, target=reg,
                         reason=f"{field}: the register differs from what JCC held")


__all__ = ["KINDS", "STEP", "compare", "mask"]
