"""The CLI's start-up: help reads flags as flags, `--help` imports nothing heavy, every reporting command has --json."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

from hub.cli import app
from hub.cli_lazy import LAZY_GROUPS, load_group

ROOT = Path(__file__).resolve().parents[2]
#: Commands that run until stopped and report nothing to parse.
LONG_RUNNING = {"serve", "worker", "scheduler", "sandbox serve", "sandbox jcc", "migrate sandbox"}


def _commands() -> dict[str, click.Command]:
    root = typer.main.get_command(app)
    ctx = click.Context(root)
    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, TyperGroup):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = command

    walk(root, [])
    return found


def test_every_reporting_command_has_json() -> None:
    commands = _commands()
    assert {"status", "replay", "purge", "deliver", "db upgrade", "sync", "trace", "deliveries list"} <= set(commands)
    missing = [name for name, command in commands.items() if name not in LONG_RUNNING
               and "--json" not in {opt for p in command.params for opt in getattr(p, "opts", [])}]
    assert missing == []


@pytest.mark.parametrize("path", ["", "status", "sync", "demo", "serve", "replay", "db upgrade", "zgw subscriptions",
                                  "migrate run", "surveys send", "roster sync"])
def test_help_shows_flags_as_flags(path: str) -> None:
    result = CliRunner().invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    for line in result.output.splitlines():
        if line.strip().startswith("--json"):
            assert line.split()[1] != "<bool>"


def test_lazy_groups_are_listed_with_their_own_help() -> None:
    result = CliRunner().invoke(app, ["--help"])
    for name, (_, help_text) in LAZY_GROUPS.items():
        assert name in result.output
        assert (load_group(name).help or "").strip().startswith(help_text.rstrip(".")), name


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=True, env={**os.environ, **(env or {})})
    return set(done.stdout.split())


HEAVY = {"hub.bootstrap", "sqlalchemy", "fastapi", "alembic", "asyncssh", "sandbox.server", "flows", "zeep",
         "dramatiq"}


def test_help_imports_nothing_heavy() -> None:
    loaded = _modules_after("from hub.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass")
    assert HEAVY & loaded == set()


def test_status_imports_neither_sftp_nor_migrations(tmp_path: Path) -> None:
    env = {"AFSPRAKENHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "AFSPRAKENHUB_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "hub.cli", "db", "upgrade"], cwd=ROOT, env={**os.environ, **env},
                   capture_output=True, timeout=120, check=True)
    loaded = _modules_after("from hub.cli import app\ntry:\n    app(['status', '--json'])\n"
                            "except SystemExit as e:\n    assert e.code == 0, e.code", env)
    assert "hub.operations" in loaded
    assert {"asyncssh", "alembic"} & loaded == set()


def test_no_cryptography_warnings_from_asyncssh() -> None:
    """`sandbox --help` loads the SFTP simulator; asyncssh's DSA deprecation warnings stay out of the output."""
    done = subprocess.run([sys.executable, "-W", "default", "-m", "hub.cli", "sandbox", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    assert "Warning" not in done.stderr, done.stderr
    checked = subprocess.run([sys.executable, "-W", "error", "-c", "from connectors.ssh import asyncssh\n"
                              "print(asyncssh.SFTPError.__name__)"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0 and checked.stdout.strip() == "SFTPError", checked.stderr
