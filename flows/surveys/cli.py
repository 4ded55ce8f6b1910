"""`afsprakenhub surveys …`: send a day's KCM invitations (with --date, --force, --dry-run), purge, list."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hub.bootstrap import Hub

app = typer.Typer(help="KCM satisfaction-survey invitations.", no_args_is_help=True)
out = Console()


def _hub() -> Hub:
    from hub.cli_hub import open_hub as hub_from_cli

    return hub_from_cli()


@app.command("send")
def send(
    date_: Annotated[str | None, typer.Option("--date", help="Visit date YYYY-MM-DD [default: every undelivered "
                                              "date of the last days up to yesterday]")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the counts per rule; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Deliver the date again (same file name).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Apply the rules, write the CSV and deliver it to KCM (once per date unless --force)."""
    from flows.surveys.batch import run_surveys

    try:
        day = date.fromisoformat(date_) if date_ else None
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    if force and day is None:
        raise typer.BadParameter("--force needs --date", param_hint="--force")
    hub = _hub()
    result = run_surveys(hub, day, dry_run=dry_run, force=force)
    job = result.as_job_result(dry_run)
    if as_json:
        sys.stdout.write(json.dumps({"dryRun": dry_run, "force": force, "outcome": job.outcome,
                                     "days": [{"date": d.visit_date.isoformat(), "file": d.file_name,
                                               "delivered": d.delivered, "note": d.note, "counts": d.counts}
                                              for d in result.days],
                                     "purged": result.purged, "error": result.error}, indent=2) + "\n")
    else:
        table = Table("date", "rule", "count")
        for d in result.days:
            for key, value in d.counts.items():
                table.add_row(d.visit_date.isoformat(), key, str(value))
            table.add_row(d.visit_date.isoformat(), "[bold]delivered[/]", f"{d.delivered} ({d.note})")
        out.print(table if result.days else "no visit dates due")
        if dry_run:
            out.print("dry run: nothing written")
        elif result.purged:
            out.print(f"purged candidate data of {result.purged} visits past retention")
        if result.error:
            out.print(f"[red]delivery failed:[/] {result.error}")
    raise typer.Exit(1 if result.error else 0)


@app.command("purge")
def purge(
    older_than: Annotated[int | None, typer.Option("--older-than", help="Days after delivery [default: "
                                                   "AFSPRAKENHUB_KCM__RETENTION_DAYS]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Remove candidate personal data past retention (the invitation markers stay)."""
    from hub.store.surveys import SurveyStore

    hub = _hub()
    days = older_than if older_than is not None else hub.settings.kcm.retention_days
    count = SurveyStore(hub.db, hub.now).purge(days)
    hub.audit.record(actor="cli", flow="surveys", action="purge-candidates", outcome="done",
                     purpose="retention (AVG): remove survey candidate data",
                     references={"purged": count, "retentionDays": days})
    if as_json:
        sys.stdout.write(json.dumps({"purged": count, "olderThanDays": days}) + "\n")
    else:
        out.print(f"purged candidate data of {count} visits older than {days} days after delivery")


@app.command("files")
def files(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the KCM drop folder (read only)."""
    from flows.surveys.batch import SurveyBatch

    found = SurveyBatch(_hub()).client.list_files()
    if as_json:
        sys.stdout.write(json.dumps([f.model_dump(mode="json") for f in found], indent=2) + "\n")
        return
    for f in found:
        out.print(f"{f.name}\t{f.size}", highlight=False)


def register(parent: typer.Typer) -> None:
    """Add the `surveys` command group to the hub's CLI."""
    parent.add_typer(app, name="surveys")
