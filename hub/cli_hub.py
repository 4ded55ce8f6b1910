"""The checked Hub a CLI command opens: settings read, store reachable and migrated, broker reachable on request.

Command groups (in `hub` and in `flows/*/cli.py`) open their Hub here, never through `hub.cli`, which loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from hub.cli_errors import DEBUG, broker_problem, probe_broker, store_problem

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.config import Settings

err = Console(stderr=True)


def read_settings() -> Settings:
    """The process's settings, with logging configured from them (`--debug` too when the level is DEBUG)."""
    from hub.config import get_settings
    from hub.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level.upper() == "DEBUG":
        DEBUG["on"] = True
    return settings


def _sqlite_file_missing(url: str) -> Path | None:
    """The SQLite file `url` names, when it does not exist yet (a read must not create it)."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    return None if path.exists() else path


def check_driver(url: str) -> None:
    """Raise `Unavailable` when `url` is no database URL or its driver is not installed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise store_problem(exc, url) from exc


def open_hub(*, upgrade: bool = False, worker_name: str | None = None, broker: bool = False,
         settings: Settings | None = None) -> Hub:
    """The Hub on the configured store (checked: reachable, schema there); `broker=True` checks the broker too."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.bootstrap import Hub
    from hub.store.db import schema_is_current

    settings = settings or read_settings()
    url = settings.database_url
    missing = _sqlite_file_missing(url)
    if not upgrade and missing is not None:
        err.print(f"[red]The database {missing} does not exist yet (no schema).[/] Run: afsprakenhub db upgrade "
                  "(or point AFSPRAKENHUB_DATABASE_URL at the hub's store)", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    check_driver(url)
    hub = Hub(settings, worker_name=worker_name)
    try:
        if upgrade:
            hub.db.upgrade()
            current = True
        else:
            current = schema_is_current(hub.db.engine)
    except SQLAlchemyError as exc:
        hub.close()
        raise store_problem(exc, url) from exc
    if not current:
        hub.close()
        err.print("[red]The database has no schema yet.[/] Run: afsprakenhub db upgrade", highlight=False,
                  soft_wrap=True)
        raise typer.Exit(2)
    if broker and settings.broker_url not in ("", "stub"):
        try:
            probe_broker(hub.runtime.broker)
        except Exception as exc:
            hub.close()
            raise broker_problem(exc, settings.broker_url) from exc
    return hub
