"""The CLI's root group: command groups imported on first use, one-line errors for an unreachable store or broker."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer import _click as click  # typer ≥ 0.29 carries its own click; its types are the ones TyperGroup takes
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup

from hub.cli_errors import Unavailable, report

#: name → (module with `register(app)`, one-line help shown by `afsprakenhub --help` without importing it).
LAZY_GROUPS: dict[str, tuple[str, str]] = {
    "sandbox": ("sandbox.cli", "Simulators of the hub's peers on loopback."),
    "zgw": ("hub.cli_zgw", "ZGW: the hub's abonnement (subscription) at the Notificaties API (NRC)."),
    "surveys": ("flows.surveys.cli", "KCM satisfaction-survey invitations."),
    "roster": ("flows.roster.cli", "RostarCAS roster → register staffing blocks."),
    "migrate": ("hub.cli_migrate", "The one-off JCC-Afspraken conversion into the register (dry-run first)."),
    "export": ("hub.cli_export", "Exports to other platforms."),
    "register": ("hub.cli_register", "The appointment register: a read-only probe of the configured vendor's API."),
    "audit": ("hub.cli_audit", "The processing log (Logboek Dataverwerkingen): a data subject's processings, export, "
                               "retention."),
    "alerts": ("hub.cli_alerts", "Alerts to functional administrators: active ones, a check now, a test message."),
    "peers": ("hub.cli_peers", "Peers: each peer's circuit breaker; pause a peer for a maintenance window, resume it."),
}


def load_group(name: str) -> click.Command:
    """Import the module behind a lazy group and build its click command."""
    module = importlib.import_module(LAZY_GROUPS[name][0])
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    module.register(holder)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


class LazyGroup(TyperGroup):
    """A typer group that imports heavy command groups only when one of them runs (fast `--help`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY_GROUPS if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_GROUPS and cmd_name not in self.commands:
            self.commands[cmd_name] = load_group(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max(len(n) for n in self.list_commands(ctx))
        for name in self.list_commands(ctx):
            if name in LAZY_GROUPS and name not in self.commands:
                rows.append((name, make_default_short_help(LAZY_GROUPS[name][1], limit)))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Unavailable as problem:
            report(problem, problem.__cause__)
            raise typer.Exit(2) from None
