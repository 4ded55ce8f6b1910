"""`afsprakenhub migrate …`: the JCC conversion, step by step or all at once (`run`).

Every step shows a progress bar (stderr), records its exact command line and versions in the staging
database, prints a summary (a table, or JSON with `--json`) and resumes after a crash.
Exit codes: 0 ok / go; 1 failures or unexplained discrepancies (no-go); 2 usage problems.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.config import Settings, get_settings
from hub.errors import DeliveryError
from hub.ports.register import UnsupportedError
from migration import runlog
from migration.context import MigrationContext

app = typer.Typer(help="The one-off JCC-Afspraken conversion into the register (dry-run first).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON summary instead of a table.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")]
_state: dict[str, Any] = {}


@app.callback()
def _group(staging_db: Annotated[str | None, typer.Option(
        "--staging-db", help="Staging database URL [default: settings.migration.staging_database_url]")] = None,
        mapping_dir: Annotated[Path | None, typer.Option(
            help="Folder with products.csv, locations.csv, employees.csv, rules.yaml [default: mappings/jcc]")]
        = None) -> None:
    """The one-off JCC-Afspraken conversion into the register (dry-run first)."""
    _state["staging_db"] = staging_db
    _state["mapping_dir"] = mapping_dir


def _settings() -> Settings:
    settings = get_settings()
    updates: dict[str, Any] = {}
    if _state.get("staging_db"):
        updates["staging_database_url"] = _state["staging_db"]
    if _state.get("mapping_dir"):
        updates["mapping_dir"] = _state["mapping_dir"]
    if updates:
        settings = settings.model_copy(update={"migration": settings.migration.model_copy(update=updates)})
    return settings


def _command(step: str) -> str:
    """The command line as typed (`afsprakenhub migrate …`); `step` names it when called from Python."""
    argv = sys.argv
    if argv and Path(argv[0]).name in ("afsprakenhub", "afsprakenhub.exe") and "migrate" in argv:
        return shlex.join(["afsprakenhub", *argv[1:]])
    return f"afsprakenhub migrate {step}  # called from Python"


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
        return
    table = Table("item", "value", title=f"migrate {summary.get('step', '')}")
    for key, value in summary.items():
        text = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) else str(value)
        table.add_row(key, text)
    out.print(table)


def _execute(step: str, as_json: bool, body: Callable[[MigrationContext, Settings], dict[str, Any]],
             verdict: Callable[[dict[str, Any]], int] = lambda _: 0, *, record: bool = True,
             command: str | None = None, quiet: bool = False) -> tuple[int, dict[str, Any]]:
    settings = _settings()
    try:
        ctx = MigrationContext.open(settings.migration)
    except (ValueError, FileNotFoundError) as exc:  # an old staging database, a mapping folder without tables
        failed = {"step": step, "error": str(exc)}
        if not quiet:
            _print(failed, True) if as_json else err.print(f"[red]{step} failed:[/] {exc}")
        return 2, failed
    run_id = runlog.start(ctx.staging, step, command or _command(step),
                          {"jccWsdl": settings.migration.jcc_wsdl_url, "registerVendor": settings.register.vendor,
                           "register": settings.register_api.base_url,
                           "mappingTables": ctx.tables_label, "staging": ctx.staging.dialect}) if record else 0
    try:
        summary = body(ctx, settings)
        code = verdict(summary)
    except UnsupportedError as exc:  # the configured register cannot do what this step needs: refused up front
        summary, code = {"step": step, "error": exc.reason, "unsupported": [str(c) for c in exc.missing]}, 2
    except DeliveryError as exc:
        summary, code = {"step": step, "error": str(exc)}, 1
    except (ValueError, FileNotFoundError) as exc:
        summary, code = {"step": step, "error": str(exc)}, 2
    if record:
        runlog.finish(ctx.staging, run_id, code, summary)
    ctx.close()
    if not quiet:
        if "error" in summary and not as_json:
            err.print(f"[red]{step} failed:[/] {summary['error']}")
        else:
            _print(summary, as_json)
    return code, summary


def _dates(first: str | None, last: str | None) -> tuple[date, date]:
    if not first or not last:
        raise typer.BadParameter("--from and --to are required with --source jcc-soap")
    return date.fromisoformat(first), date.fromisoformat(last)


def _split(values: list[str] | None) -> list[str] | None:
    items = [v.strip() for value in values or () for v in value.split(",") if v.strip()]
    return items or None


@app.command()
def extract(
    file: Annotated[Path | None, typer.Argument(help="The JCC export file (with --source jcc-export)")] = None,
    source: Annotated[str, typer.Option(help="jcc-soap (the web service) or jcc-export (a CSV file)")] = "jcc-soap",
    wsdl: Annotated[str | None, typer.Option(help="WSDL URL [default: settings.migration.jcc_wsdl_url]")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD")] = None,
    locations: Annotated[list[str] | None, typer.Option("--locations", help="JCC location ids (repeat or a,b)")]
    = None,
    concurrency: Annotated[int | None, typer.Option(help="Detail requests in flight [default: settings]")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore checkpoints: fetch every day again "
                                                          "(final delta) and drop what JCC no longer lists")] = False,
    dry_run: DryRunOpt = False, as_json: JsonOpt = False,
) -> None:
    """Stage JCC appointments (and locations/products) with the raw payload hash; resumes per day * location."""
    from migration import steps

    if source not in ("jcc-soap", "jcc-export"):
        raise typer.BadParameter("--source is jcc-soap or jcc-export")
    if source == "jcc-export":
        if file is None or not file.exists():
            raise typer.BadParameter("give the export file: extract --source jcc-export FILE")
        export = file

        def body(ctx: MigrationContext, settings: Settings) -> dict[str, Any]:
            return steps.run_extract_export(ctx, export, dry_run=dry_run)
    else:
        first, last = _dates(from_, to)

        def body(ctx: MigrationContext, settings: Settings) -> dict[str, Any]:
            return steps.run_extract_soap(ctx, settings, wsdl=wsdl, first=first, last=last,
                                          locations=_split(locations), dry_run=dry_run, refresh=refresh,
                                          concurrency=concurrency)
    code, _ = _execute("extract", as_json, body)
    raise typer.Exit(code)


@app.command()
def plan(
    scope: Annotated[str | None, typer.Option(help="future | all [default: settings.migration.scope]")] = None,
    cutover: Annotated[str | None, typer.Option(help="Moment that separates future from history "
                                                     "(ISO date-time with offset) [default: now]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Transform, validate and compare with the register (read-only): counts to create/update/leave/reject."""
    from migration import steps

    if scope not in (None, "future", "all"):
        raise typer.BadParameter("--scope is future or all")
    moment = datetime.fromisoformat(cutover) if cutover else None
    if moment is not None and moment.tzinfo is None:
        raise typer.BadParameter("--cutover needs a UTC offset, e.g. 2027-03-01T07:00:00+01:00")
    code, _ = _execute("plan", as_json, lambda ctx, s: steps.run_plan(ctx, s, scope=scope, cutover=moment))
    raise typer.Exit(code)


@app.command()
def load(
    concurrency: Annotated[int | None, typer.Option(help="Register requests in flight [default: settings]")] = None,
    rate: Annotated[float | None, typer.Option(help="Register requests per second [default: settings]")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Appointments per checkpointed batch")] = None,
    dry_run: DryRunOpt = False, as_json: JsonOpt = False,
) -> None:
    """Upsert the planned appointments (externalId jcc:<appID>, no customer notifications); resumable."""
    from migration import steps

    def verdict(summary: dict[str, Any]) -> int:
        return 1 if summary.get("failed") else 0

    code, _ = _execute("load", as_json, lambda ctx, s: steps.run_load(
        ctx, s, dry_run=dry_run, concurrency=concurrency, rate=rate, batch_size=batch_size), verdict)
    raise typer.Exit(code)


@app.command()
def reconcile(
    waivers: Annotated[Path | None, typer.Option(help="Waiver file [default: settings.migration.waiver_file]")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Read the register back and compare; exit 0 only when no discrepancy is unexplained."""
    from migration import steps

    code, _ = _execute("reconcile", as_json, lambda ctx, s: steps.run_reconcile(ctx, s, waiver_file=waivers),
                       lambda summary: 0 if summary.get("clean") else 1)
    raise typer.Exit(code)


@app.command()
def report(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder [default: settings.migration.output_dir]")]
    = None,
    dry_run: DryRunOpt = False, as_json: JsonOpt = False,
) -> None:
    """Write report.html, discrepancies.csv and summary.json; exit 0 only on a go verdict."""
    from migration import steps

    code, _ = _execute("report", as_json, lambda ctx, s: steps.run_report(
        ctx, out_dir or s.migration.output_dir, dry_run=dry_run), lambda summary: 0 if summary["verdict"] == "go"
        else 1)
    raise typer.Exit(code)


@app.command()
def run(
    file: Annotated[Path | None, typer.Argument(help="The JCC export file (with --source jcc-export)")] = None,
    source: Annotated[str, typer.Option(help="jcc-soap or jcc-export")] = "jcc-soap",
    wsdl: Annotated[str | None, typer.Option(help="WSDL URL [default: settings]")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD")] = None,
    locations: Annotated[list[str] | None, typer.Option("--locations", help="JCC location ids")] = None,
    scope: Annotated[str | None, typer.Option(help="future | all [default: settings]")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Register requests in flight")] = None,
    rate: Annotated[float | None, typer.Option(help="Register requests per second")] = None,
    waivers: Annotated[Path | None, typer.Option(help="Waiver file")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report folder")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Extract and plan, then load --dry-run; the "
                                                            "register is not written")] = False,
    as_json: JsonOpt = False,
) -> None:
    """extract → plan → load → reconcile → report, stopping at the first step that fails.

    The report is always written after reconcile, also when it finds unexplained discrepancies.
    """
    from migration import steps

    base = _command("run")
    results: list[dict[str, Any]] = []
    try:  # before extracting anything: the configured register must be able to take the load
        steps.refuse_unless(_settings(), *steps.LOAD_NEEDS, *steps.READ_NEEDS)
    except UnsupportedError as exc:
        refused = {"step": "run", "dryRun": dry_run, "exitCode": 2, "error": exc.reason,
                   "unsupported": [str(c) for c in exc.missing]}
        _print(refused, True) if as_json else err.print(f"[red]run refused:[/] {exc.reason}")
        raise typer.Exit(2) from None

    def step(name: str, body: Callable[[MigrationContext, Settings], dict[str, Any]],
             verdict: Callable[[dict[str, Any]], int] = lambda _: 0) -> int:
        code, summary = _execute(name, as_json, body, verdict, command=f"{base}  # step {name}", quiet=as_json)
        results.append({**summary, "exitCode": code})
        return code

    if source == "jcc-export":
        if file is None:
            raise typer.BadParameter("give the export file: run --source jcc-export FILE")
        export = file
        code = step("extract", lambda ctx, s: steps.run_extract_export(ctx, export, dry_run=False))
    else:
        first, last = _dates(from_, to)
        code = step("extract", lambda ctx, s: steps.run_extract_soap(
            ctx, s, wsdl=wsdl, first=first, last=last, locations=_split(locations), dry_run=False, refresh=False,
            concurrency=None))
    if code == 0:
        code = step("plan", lambda ctx, s: steps.run_plan(ctx, s, scope=scope))
    if code == 0:
        code = step("load", lambda ctx, s: steps.run_load(ctx, s, dry_run=dry_run, concurrency=concurrency,
                                                          rate=rate), lambda r: 1 if r.get("failed") else 0)
    if code == 0 and not dry_run:
        code = step("reconcile", lambda ctx, s: steps.run_reconcile(ctx, s, waiver_file=waivers),
                    lambda r: 0 if r.get("clean") else 1)
        report_code = step("report", lambda ctx, s: steps.run_report(ctx, out_dir or s.migration.output_dir))
        code = code or report_code
    if as_json:
        sys.stdout.write(json.dumps({"step": "run", "dryRun": dry_run, "exitCode": code, "steps": results},
                                    indent=2, default=str) + "\n")
    raise typer.Exit(code)


mapping_app = typer.Typer(help="The mapping tables (products, locations, employees, rules).", no_args_is_help=True)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("scaffold")
def mapping_scaffold(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write products.csv, locations.csv, "
                                                         "employees.csv and rules.yaml to")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite tables already in the folder")] = False,
    dry_run: DryRunOpt = False, as_json: JsonOpt = False,
) -> None:
    """Write the mapping tables from the catalogue JCC answered at extract, register targets empty to fill in.

    plan refuses while a target is empty; pass the folder with --mapping-dir.
    """
    from migration.scaffold import scaffold

    code, _ = _execute("mapping", as_json, lambda ctx, s: scaffold(ctx.staging, out_dir, dry_run=dry_run,
                                                                   force=force))
    raise typer.Exit(code)


@app.command("waivers-template")
def waivers_template(
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the waiver file to fill in")],
    as_json: JsonOpt = False,
) -> None:
    """Write a waiver file listing every unexplained discrepancy of the last reconcile, reasons to fill in."""
    from sqlalchemy import select

    from migration.db import discrepancies
    from migration.waivers import template

    ctx = MigrationContext.open(_settings().migration, progress=False)
    with ctx.staging.engine.connect() as conn:
        rows = [(r.external_id.removeprefix("jcc:"), r.kind, r.reason or r.field or "")
                for r in conn.execute(select(discrepancies).where(discrepancies.c.explained.is_(False))
                                      .order_by(discrepancies.c.id))]
    ctx.close()
    unique = list(dict.fromkeys(rows))
    out_file.write_text(template(unique), encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps({"waivers": len(unique), "file": str(out_file)}) + "\n")
    else:
        out.print(f"{len(unique)} waiver(s) to fill in: {out_file}")


@app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Really delete the staged data and checkpoints")] = False,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete every staged appointment, plan, checkpoint and report row (the staging database only)."""
    from migration.db import metadata

    ctx = MigrationContext.open(_settings().migration, progress=False)
    counts = {t.name: ctx.staging.count(t) for t in metadata.sorted_tables}
    if dry_run or not yes:
        if as_json:
            sys.stdout.write(json.dumps({"deleted": False, "wouldDelete": counts}) + "\n")
        else:
            out.print(f"would delete: {counts}" + ("" if dry_run else " (add --yes)"))
        ctx.close()
        raise typer.Exit(0 if dry_run else 2)
    ctx.staging.clear(*reversed(metadata.sorted_tables))
    ctx.close()
    if as_json:
        sys.stdout.write(json.dumps({"deleted": True, "counts": counts}) + "\n")
    else:
        out.print(f"deleted: {counts}")


@app.command()
def rollback(
    yes: Annotated[bool, typer.Option("--yes", help="Really cancel the converted appointments")] = False,
    dry_run: DryRunOpt = False, as_json: JsonOpt = False,
) -> None:
    """Cancel every converted (jcc:) appointment in the register without notifying customers."""
    import asyncio

    from migration import steps
    from migration.rollback import rollback as do_rollback

    if not (yes or dry_run):
        err.print("[red]rollback cancels converted appointments in the register:[/] add --yes (or --dry-run)")
        raise typer.Exit(2)

    def body(ctx: MigrationContext, settings: Settings) -> dict[str, Any]:
        steps.refuse_unless(settings, *steps.ROLLBACK_NEEDS)

        async def go() -> dict[str, Any]:
            client, _ = steps.register_client(settings)
            async with client:
                return await do_rollback(ctx, client, dry_run=dry_run)
        return asyncio.run(go())

    code, _ = _execute("rollback", as_json, body, lambda r: 1 if r.get("failed") else 0)
    raise typer.Exit(code)


@app.command()
def sandbox(
    appointments: Annotated[int, typer.Option(help="Size of the generated JCC data set")] = 500,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one)")] = 8701,
    seed: Annotated[int, typer.Option(help="Seed of the generated data set")] = 0,
) -> None:
    """Run the JCC SOAP simulator (WSDL at /jcc/?wsdl) and a register simulator until Ctrl-C."""
    from sandbox.jcc import JccSimulator
    from sandbox.register import RegisterSimulator
    from sandbox.server import SandboxServer

    jcc = JccSimulator(appointments=appointments, seed=seed)
    server = SandboxServer(jcc, RegisterSimulator(seed=seed, echo_api_changes=False), port=port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        first, last = jcc.days
        for name, info in server.describe().items():
            out.print(f"[bold]{name}[/] " + " ".join(f"{k}={v}" for k, v in info.items()), highlight=False)
        out.print(f"try: afsprakenhub migrate run --wsdl {jcc.base_url}/?wsdl --from {first} --to {last}",
                  highlight=False)
        out.print("Ctrl-C to stop")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


__all__ = ["app"]
