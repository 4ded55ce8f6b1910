"""`afsprakenhub peers`: each peer's circuit breaker; pause a peer for a maintenance window and resume it."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.when import parse_duration, parse_moment

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.breaker import PeerState

app = typer.Typer(help="Peers: each peer's circuit breaker; pause a peer for a maintenance window, resume it.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PeerArg = Annotated[str, typer.Argument(help="The peer (connector) name, e.g. salesforce, outlook, klantinteracties")]


def register(root: typer.Typer) -> None:
    """Add the `peers` group to the afsprakenhub command line."""
    root.add_typer(app, name="peers")


def _hub() -> Hub:
    from hub.cli_hub import open_hub as checked_hub

    return checked_hub()


def known_peers(hub: Hub) -> list[str]:
    """Connector names (every registered connector, and every peer the breaker has a row for)."""
    from hub.breaker import states
    from hub.peers import peer_names

    return sorted(peer_names() | {s.peer for s in states(hub)})


def _check_peer(hub: Hub, peer: str) -> None:
    known = known_peers(hub)
    if peer not in known:
        err.print(f"unknown peer {peer!r}; known: {', '.join(known)}", markup=False, highlight=False)
        raise typer.Exit(2)


def _show(states: list[PeerState], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps([s.model_dump(mode="json") for s in states], indent=2) + "\n")
        return
    table = Table("peer", "state", "failures", "since", "until", "reason", "by")
    for s in states:
        table.add_row(s.peer, s.state, str(s.failures), _local(s.since), _local(s.until), s.reason or "",
                      s.actor or "")
    out.print(table if states else "every peer closed (no failures seen)")


def _local(moment: datetime | None) -> str:
    from hub.when import LOCAL

    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Each peer's breaker: closed, open (failing; probed again at `until`), half_open (probing) or paused."""
    from hub.breaker import states

    hub = _hub()
    try:
        _show(states(hub), as_json)
    finally:
        hub.close()


@app.command("pause")
def pause(
    peer: PeerArg,
    until: Annotated[str | None, typer.Option(help="End of the pause (ISO, Amsterdam time unless an offset): "
                                              "2026-12-07T06:00")] = None,
    for_: Annotated[str | None, typer.Option("--for", help="Length of the pause instead: 30m, 2h, 1d")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the console and the audit log (no personal data)")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Pause a peer by hand (a release weekend, a maintenance window): its deliveries wait, no attempt spent.

    Without --until or --for the pause lasts until `afsprakenhub peers resume PEER`.
    """
    if until and for_:
        err.print("give --until or --for, not both")
        raise typer.Exit(2)
    hub = _hub()
    try:
        _check_peer(hub, peer)
        try:
            end = parse_moment(until) if until else (hub.now() + parse_duration(for_) if for_ else None)
        except ValueError as exc:
            err.print(str(exc), markup=False, highlight=False)
            raise typer.Exit(2) from None
        if end is not None and end <= hub.now():
            err.print(f"--until {until or for_} is not in the future", markup=False, highlight=False)
            raise typer.Exit(2)
        state = hub.breaker.pause(peer, until=end, reason=reason, actor="cli")
        _show([state], as_json)
    finally:
        hub.close()


@app.command("resume")
def resume(peer: PeerArg, as_json: JsonOpt = False) -> None:
    """End a pause, or close an open peer now (you know it is back): its waiting deliveries go at once."""
    hub = _hub()
    try:
        _check_peer(hub, peer)
        state = hub.breaker.resume(peer, actor="cli")
        _show([state], as_json)
    finally:
        hub.close()
