"""`afsprakenhub export …`: exports to other platforms (see flows/datalake/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `export` group to the afsprakenhub command line."""
    from flows.datalake.cli import app as export_app

    app.add_typer(export_app, name="export")
