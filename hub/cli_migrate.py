"""`afsprakenhub migrate …`: the JCC conversion command group (see migration/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `migrate` group to the afsprakenhub command line."""
    from migration.cli import app as migrate_app

    app.add_typer(migrate_app, name="migrate")
