"""`afsprakenhub contract-test`: run the provider contract tests and report per check."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

_STYLE = {"passed": "green", "skipped": "yellow", "failed": "red", "error": "red"}


def contract_test(
    live: Annotated[bool, typer.Option("--live", help="Also run read-only checks against real sandboxes "
                                       "(credentials from AFSPRAKENHUB_<SYSTEM>_API__…).")] = False,
    system: Annotated[str | None, typer.Option("--system", help="Only this system, e.g. register.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check each connector against its peer's contract (offline unless --live); exit 1 on any failure."""
    from contract_tests.runner import run

    try:
        report = run(system, live=live)
    except ValueError as exc:
        Console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        table = Table("system", "result", "check", "detail")
        table.columns[2].overflow = "fold"
        for c in report.checks:
            table.add_row(c.system, f"[{_STYLE[c.result]}]{c.result}[/]", c.check, c.detail)
        console = Console()
        console.print(table)
        console.print("[green]all contract checks passed[/]" if report.ok else "[red]contract checks failed[/]")
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    """Add `contract-test` to the afsprakenhub command line."""
    app.command("contract-test")(contract_test)
