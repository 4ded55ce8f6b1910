"""Report: HTML for the go/no-go meeting, a CSV of every discrepancy and a JSON summary."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import case, func, select

from migration import chart, runlog
from migration.context import MigrationContext
from migration.db import aggregates, discrepancies, planned, register

KIND_MEANINGS = (
    ("source-mismatch", "the register's value differs from what JCC held (JCC's raw payload against the register's "
                        "API, compared without the mapping code; one row per field)"),
    ("missing", "planned for the register but not found there"),
    ("unexpected", "a converted (jcc:) appointment in the register that JCC does not have"),
    ("mismatched", "the register differs from what the plan sent (a load error; one row per field)"),
    ("duplicate", "one JCC appointment is more than once in the register"),
    ("rejected", "not loaded: the mapping rejected it, or a mapping row disagrees with a catalogue (reason given)"),
)
CSV_COLUMNS = ("kind", "external_id", "day", "field", "source_value", "target_value", "reason", "explained", "waiver")
TOP = 50


def per_day(ctx: MigrationContext) -> list[tuple[str, int, int]]:
    """(day, source appointments in scope, register appointments) per day."""
    with ctx.staging.engine.connect() as conn:
        src: dict[str, int] = dict(conn.execute(select(planned.c.day, func.count()).where(planned.c.outcome == "ok")
                                .group_by(planned.c.day)).all())
        tgt: dict[str, int] = dict(conn.execute(select(register.c.day, func.count()).group_by(register.c.day)).all())
    return [(d, int(src.get(d, 0)), int(tgt.get(d, 0))) for d in sorted(set(src) | set(tgt)) if d]


def _top(ctx: MigrationContext) -> list[dict[str, Any]]:
    order = case((discrepancies.c.explained.is_(False), 0), else_=1)
    with ctx.staging.engine.connect() as conn:
        rows = conn.execute(select(discrepancies).order_by(order, discrepancies.c.id).limit(TOP))
        return [dict(r._mapping) for r in rows]


def _cells(ctx: MigrationContext) -> list[dict[str, Any]]:
    with ctx.staging.engine.connect() as conn:
        rows = conn.execute(select(aggregates).where(aggregates.c.source_count != aggregates.c.target_count)
                            .order_by(aggregates.c.day, aggregates.c.location_id).limit(TOP))
        return [dict(r._mapping) for r in rows]


def write_csv(ctx: MigrationContext, path: Path) -> int:
    """Every discrepancy, streamed; the number of rows written."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(CSV_COLUMNS)
        for batch in ctx.staging.stream(discrepancies, key="id", columns=["id", *CSV_COLUMNS]):
            out.writerows([[getattr(r, c) for c in CSV_COLUMNS] for r in batch])
            written += len(batch)
    return written


def summary(ctx: MigrationContext) -> dict[str, Any]:
    """The JSON summary: verdict and the last summary of every step."""
    staging = ctx.staging
    steps = {s: runlog.latest(staging, s) for s in ("extract", "plan", "load", "reconcile")}
    recon = steps["reconcile"]
    plan = steps["plan"]
    return {"verdict": "go" if recon and recon.get("clean") else "no-go",
            "unexplained": recon.get("unexplainedTotal") if recon else None,
            "unexplainedByKind": recon.get("unexplained") if recon else None,
            "mappingTables": {"plan": plan.get("mappingTables") if plan else None,
                              "reconcile": recon.get("mappingTables") if recon else None},
            "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"), "steps": steps,
            "commands": [{k: v for k, v in r.items() if k not in ("summary", "versions")}
                         for r in runlog.history(staging)]}


def render(ctx: MigrationContext, out_dir: Path, *, dry_run: bool = False) -> dict[str, Any]:
    """Write report.html, discrepancies.csv and summary.json to `out_dir`; the summary."""
    info = summary(ctx)
    files = {name: str(out_dir / name) for name in ("report.html", "discrepancies.csv", "summary.json")}
    if dry_run:
        return {"step": "report", "dryRun": True, "verdict": info["verdict"], "files": files}
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = write_csv(ctx, out_dir / "discrepancies.csv")
    history = runlog.history(ctx.staging)
    env = Environment(loader=PackageLoader("migration", "templates"), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(
        generated=info["generatedAt"], staging=ctx.staging.url.split("://")[0], plan=info["steps"]["plan"],
        load=info["steps"]["load"], reconcile=info["steps"]["reconcile"], kinds=KIND_MEANINGS,
        chart=chart.build(per_day(ctx)), cells=_cells(ctx), top=_top(ctx), total_discrepancies=rows,
        commands=history, versions=history[-1]["versions"] if history else runlog.versions())
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    (out_dir / "summary.json").write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
    return {"step": "report", "dryRun": False, "verdict": info["verdict"], "discrepancyRows": rows, "files": files}


__all__ = ["CSV_COLUMNS", "render", "summary", "write_csv"]
