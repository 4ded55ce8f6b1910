"""`afsprakenhub roster …`: run the roster sync with `--weeks`, show the plan, list outstanding conflicts."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hub.bootstrap import Hub

app = typer.Typer(help="RostarCAS roster → register staffing blocks.", no_args_is_help=True)
out = Console()


def _hub() -> Hub:
    from hub.cli_hub import open_hub as hub_from_cli

    return hub_from_cli()


@app.command("sync")
def sync(
    weeks: Annotated[int | None, typer.Option("--weeks", min=1, max=26,
                                              help="Weeks from today [default: AFSPRAKENHUB_ROSTARCAS__WEEKS, 4]")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan per day and location; write nothing.")]
    = False,
    full: Annotated[bool, typer.Option("--full", help="Diff against the register's actual blocks; check all.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fetch the roster, push the difference to the register, report capacity conflicts."""
    from flows.roster import sync_roster

    hub = _hub()
    run = sync_roster(hub, weeks=weeks, dry_run=dry_run, full=full)
    hub.audit.record(actor="cli", flow="roster", action="job:roster", outcome=run.outcome,
                     purpose="RostarCAS roster → register staffing blocks",
                     references={"dryRun": dry_run, "full": full, **run.plan.counts()})
    counts = run.counts()
    if as_json:
        sys.stdout.write(json.dumps({"dryRun": dry_run, "outcome": run.outcome, "counts": counts}, indent=2,
                                    default=str) + "\n")
    else:
        out.print(f"roster {counts['from']} .. {counts['to']} from {counts['source'] or '-'}: {run.outcome}"
                  + (" (dry run, nothing written)" if dry_run else ""))
        table = Table("day and location", "create", "update", "delete")
        for key, actions in counts.get("plan", {}).items():
            table.add_row(key, *(str(actions.get(a, 0)) for a in ("create", "update", "delete")))
        out.print(table)
        out.print(", ".join(f"{k} {counts[k]}" for k in ("shifts", "create", "update", "delete", "unchanged",
                                                        "notBookable", "unmapped", "malformed", "conflicts",
                                                        "conflictsOutstanding")))
        for problem in counts.get("problems", []):
            out.print(f"  [yellow]refused[/] {problem}", highlight=False)
        for key in ("report", "note", "error"):
            if key in counts:
                out.print(f"{key}: {counts[key]}", highlight=False)
    raise typer.Exit(1 if run.outcome == "failed" else 0)


@app.command("conflicts")
def conflicts(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The capacity conflicts still outstanding after the last roster run."""
    from flows.roster.state import load_state

    state = load_state(_hub())
    if as_json:
        sys.stdout.write(json.dumps([c.model_dump(mode="json") for c in state.conflicts], indent=2) + "\n")
        return
    table = Table("date", "block", "kind", "location", "counter", "capacity", "booked", "appointments")
    for c in state.conflicts:
        table.add_row(c.date.isoformat(), c.block_id, c.kind, c.location_id, c.counter_id or "", str(c.capacity),
                      str(c.booked), " ".join(c.appointment_ids))
    out.print(table if state.conflicts else "no outstanding capacity conflicts")


def register(main: typer.Typer) -> None:
    """Add `afsprakenhub roster` to the main command line."""
    main.add_typer(app, name="roster")


__all__ = ["app", "register"]
