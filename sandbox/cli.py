"""`sandbox` commands: run the peer simulators on loopback for manual testing and demos."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer

app = typer.Typer(help="Simulators of the hub's peers on loopback.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
out = Console()


@app.callback()
def _group() -> None:
    """Simulators of the hub's peers on loopback."""


def build_server(*, port: int = 0, seed: int = 0, hub_url: str | None = None,
                 hub_token: str | None = None) -> SandboxServer:
    """A (not yet started) server with every simulator: the registers (canonical, JCC G-Plan REST, Qmatic) plus
    those of every demo part."""
    from hub.demo.runner import load_parts
    from sandbox.jcc_rest import JccRestSimulator
    from sandbox.qmatic import QmaticSimulator

    parts = [sim for part in load_parts() for sim in part.simulators(seed)]
    jcc, qmatic = JccRestSimulator(seed=seed), QmaticSimulator(seed=seed)
    jcc.seed_example()
    qmatic.seed_example()
    registers = [RegisterSimulator(seed=seed, hub_url=hub_url, hub_token=hub_token), jcc, qmatic]
    taken = {sim.prefix for sim in parts}
    return SandboxServer(*[r for r in registers if r.prefix not in taken], *parts, port=port)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one)")] = 8701,
    seed: Annotated[int, typer.Option(help="Seed of the fault dice and chaos knobs")] = 0,
    hub_url: Annotated[str | None, typer.Option(help="Post register events to {hub-url}/api/v1/events")] = None,
    hub_token: Annotated[str | None, typer.Option(help="Bearer token for the hub", envvar="SANDBOX_HUB_TOKEN")]
    = None,
) -> None:
    """Run all simulators until Ctrl-C and print their URLs and credentials."""
    server = build_server(port=port, seed=seed, hub_url=hub_url, hub_token=hub_token)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        for name, info in server.describe().items():
            out.print(f"[bold]{name}[/]")
            for key, value in info.items():
                out.print(f"  {key}: {value}", highlight=False)
        for sim in server.simulators.values():
            out.print(f"{sim.name} faults: GET/PUT {sim.base_url}/_sandbox/faults", highlight=False)
            out.print(f"{sim.name} calls:  GET/DELETE {sim.base_url}/_sandbox/calls", highlight=False)
        out.print("Ctrl-C to stop")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


def register(parent: typer.Typer) -> None:
    """Add the `sandbox` command group to another typer app (the hub's CLI)."""
    from migration.cli import sandbox as jcc_sandbox

    app.command("jcc", help="The JCC SOAP simulator (and a register) with a generated data set; "
                            "the same as `afsprakenhub migrate sandbox`.")(jcc_sandbox)
    parent.add_typer(app, name="sandbox")


if __name__ == "__main__":
    app()
