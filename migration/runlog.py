"""What was run: every migrate command with its exact command line, versions, exit code and summary."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from typing import Any

from sqlalchemy import select

from migration.db import Staging, dumps, now, runs

PACKAGES = ("afsprakenhub", "zeep", "httpx", "sqlalchemy", "pydantic", "lxml", "jinja2", "typer")


def versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Versions of Python and the packages the conversion relies on."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return {**found, **(extra or {})}


def start(staging: Staging, step: str, command: str, extra: dict[str, str] | None = None) -> int:
    with staging.engine.begin() as conn:
        result = conn.execute(runs.insert().values(step=step, command=command, started_at=now(),
                                                   versions=dumps(versions(extra))))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def finish(staging: Staging, run_id: int, exit_code: int, summary: dict[str, Any]) -> None:
    with staging.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == run_id)
                     .values(finished_at=now(), exit_code=exit_code, summary=dumps(summary)))


def history(staging: Staging) -> list[dict[str, Any]]:
    """Every recorded command, oldest first."""
    with staging.engine.connect() as conn:
        rows = list(conn.execute(select(runs).order_by(runs.c.id)))
    return [{"id": r.id, "step": r.step, "command": r.command, "startedAt": r.started_at,
             "finishedAt": r.finished_at, "exitCode": r.exit_code,
             "summary": json.loads(r.summary) if r.summary else None,
             "versions": json.loads(r.versions) if r.versions else {}} for r in rows]


def latest(staging: Staging, step: str) -> dict[str, Any] | None:
    """The summary of the last finished run of `step`."""
    with staging.engine.connect() as conn:
        row = conn.execute(select(runs.c.summary).where(runs.c.step == step, runs.c.summary.is_not(None))
                           .order_by(runs.c.id.desc()).limit(1)).first()
    return json.loads(row.summary) if row else None


__all__ = ["finish", "history", "latest", "start", "versions"]
