"""`afsprakenhub alerts`: the alerts for functional administrators (list, check now, send a test message)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Alerts to functional administrators: active ones, a check now, a test message.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command("list")
def list_alerts(all_: Annotated[bool, typer.Option("--all", help="Also the latest resolved alerts.")] = False,
                as_json: JsonOpt = False) -> None:
    """The open alerts (newest first); --all adds the latest resolved ones."""
    from hub.alerts.engine import alert_rows
    from hub.cli_hub import open_hub as _hub

    hub = _hub()
    try:
        rows = alert_rows(hub, include_resolved=all_)
    finally:
        hub.close()
    if as_json:
        _print_json([{"key": r.key, "kind": r.kind, "summary": r.summary, "scope": r.scope,
                      "openedAt": r.opened_at, "lastSeenAt": r.last_seen_at, "resolvedAt": r.resolved_at,
                      "notifiedAt": r.notified_at, "resolvedNotifiedAt": r.resolved_notified_at,
                      "consolePath": r.console_path, "lastSendError": r.last_send_error} for r in rows])
        return
    if not rows:
        out.print("no open alerts" if not all_ else "no alerts recorded")
        return
    table = Table("alert", "since", "state", "what")
    for r in rows:
        state = "resolved" if r.resolved_at else ("sent" if r.notified_at else "not sent")
        table.add_row(r.key, f"{r.opened_at:%Y-%m-%d %H:%M}Z", state, r.summary)
    out.print(table)


@app.command()
def check(as_json: JsonOpt = False) -> None:
    """Check every condition now and send what nobody sent yet (the background loop does this every minute)."""
    from hub.alerts.engine import AlertEngine
    from hub.cli_hub import open_hub as _hub

    hub = _hub()
    try:
        result = AlertEngine(hub).check()
    finally:
        hub.close()
    if as_json:
        _print_json(vars(result))
    else:
        out.print(f"active {len(result.active)}, opened {len(result.opened)}, resolved {len(result.resolved)}, "
                  f"sent {len(result.sent)}, failed to send {len(result.failed)}", highlight=False)
        for key in result.active:
            out.print(f"  {key}", highlight=False)
    if result.failed:
        raise typer.Exit(1)


@app.command()
def test(as_json: JsonOpt = False) -> None:
    """Send a test message to every configured channel (webhook, e-mail); exit 1 when one failed."""
    from hub.alerts.channels import configured_channels
    from hub.alerts.engine import send_test
    from hub.cli_hub import read_settings as _settings

    settings = _settings()
    if not configured_channels(settings.alerts):
        err.print("no alert channel configured: set AFSPRAKENHUB_ALERTS__WEBHOOK_URL and/or "
                  "AFSPRAKENHUB_ALERTS__SMTP__HOST and AFSPRAKENHUB_ALERTS__SMTP__TO", highlight=False,
                  soft_wrap=True)
        raise typer.Exit(2)
    from hub.bootstrap import Hub

    hub = Hub(settings, load_flows=False)
    try:
        reached, errors = send_test(hub)
    finally:
        hub.close()
    if as_json:
        _print_json({"reached": reached, "errors": errors})
    else:
        for name in reached:
            out.print(f"test message sent via {name}", highlight=False)
        for error in errors:
            err.print(f"[red]failed:[/] {error}", highlight=False)
    if errors:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add the `alerts` group to the afsprakenhub command line."""
    root.add_typer(app, name="alerts")
