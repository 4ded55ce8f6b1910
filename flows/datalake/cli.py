"""`afsprakenhub export datalake`: one export run now, with a progress bar (deltalake is imported on use)."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.datalake.job import JOB, LOCK

if TYPE_CHECKING:
    from flows.datalake.export import ExportResult
    from hub.bootstrap import Hub

app = typer.Typer(help="Exports to other platforms.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
AMS = ZoneInfo("Europe/Amsterdam")


def _hub() -> Hub:
    from hub.cli_hub import open_hub as hub_from_cli

    return hub_from_cli()


def parse_since(text: str) -> datetime:
    """YYYY-MM-DD (midnight) or an ISO date-time; without an offset it is Amsterdam time."""
    try:
        moment = datetime.fromisoformat(text) if "T" in text or " " in text else \
            datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        raise typer.BadParameter("give YYYY-MM-DD or an ISO date-time, e.g. 2027-03-01T08:00+01:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=AMS)


@app.command("datalake")
def datalake(
    target: Annotated[str | None, typer.Option(help="Folder or abfss://container@account.dfs.core.windows.net/path "
                                               "(default: the datalake.target setting)")] = None,
    since: Annotated[str | None, typer.Option(help="Export again from this time (YYYY-MM-DD or ISO date-time) "
                                              "instead of each table's watermark; rows already there are "
                                              "not duplicated")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be written; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write appointments, visits, contact moments and deliveries as Delta tables (incremental, pseudonymised)."""
    from flows.datalake.export import export_datalake

    since_at = parse_since(since) if since else None
    hub = _hub()
    holder = f"cli:{uuid.uuid4().hex[:12]}"
    if not hub.locks.acquire(LOCK, holder, 3600.0):
        err.print("[red]Another export is running[/] (the scheduled job or another command); try again later.")
        raise typer.Exit(3)
    try:
        with _progress(enabled=not as_json and err.is_terminal) as bar:
            tasks: dict[str, TaskID] = {}

            def step(name: str, done: int, total: int) -> None:
                if bar is None:
                    return
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total or None)
                bar.update(tasks[name], completed=done, total=total or None)

            result = export_datalake(hub, target=target, since=since_at, dry_run=dry_run, progress=step)
    except ValueError as exc:  # a target or credential setting that cannot work
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    except Exception as exc:  # storage unreachable, credentials refused, …: each table stays at its last commit
        hub.audit.record(actor="cli", action=f"job:{JOB}", purpose="export to the data platform", outcome="failed",
                         references={"dryRun": dry_run, "error": type(exc).__name__})
        err.print(f"[red]export failed[/] ({type(exc).__name__}): {exc}\nEvery table stays at its last complete "
                  "commit; fix the cause and run the command again (runbooks/data-platform.md).")
        raise typer.Exit(1) from None
    finally:
        hub.locks.release(LOCK, holder)
    hub.audit.record(actor="cli", action=f"job:{JOB}", purpose="export to the data platform", outcome="ok",
                     references={"dryRun": dry_run, "target": result.target, **result.counts()})
    _print(result, as_json)


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(enabled: bool) -> Progress | _NoProgress:
    if not enabled:
        return _NoProgress()
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def _print(result: ExportResult, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json", by_alias=False), indent=2) + "\n")
        return
    table = Table("table", "rows", "commits", "watermark", title=f"export datalake → {result.target}"
                  + (" (dry run, nothing written)" if result.dry_run else ""))
    for name, t in result.tables.items():
        table.add_row(name, str(t.rows), str(t.commits), json.dumps(t.watermark) if t.watermark else "-")
    out.print(table)
    out.print(f"{result.events} events exported, {result.purged_events} past retention (purged), "
              f"{result.unreadable_events} unreadable; {result.duration_s:.1f} s", highlight=False)
