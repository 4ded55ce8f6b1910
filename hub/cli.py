"""`afsprakenhub`: the operations command line (typer + rich)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.bootstrap import Hub
from hub.logging import configure_logging
from hub.settings import get_settings

app = typer.Typer(help="afsprakenhub: keeps every system around the appointment register in step.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="The hub's own database.", no_args_is_help=True)
deliveries_app = typer.Typer(help="Deliveries: one inbound event handed to one flow.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(deliveries_app, name="deliveries")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _hub(*, upgrade: bool = False, worker_name: str | None = None) -> Hub:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    hub = Hub(settings, worker_name=worker_name)
    if upgrade:
        hub.db.upgrade()
    else:
        from hub.store.db import schema_is_current

        if not schema_is_current(hub.db.engine):
            err.print("[red]The database has no schema yet.[/] Run: afsprakenhub db upgrade")
            raise typer.Exit(2)
    return hub


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema (SQLite or PostgreSQL, per AFSPRAKENHUB_DATABASE_URL)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    from hub.store.db import upgrade

    upgrade(settings.database_url)
    out.print(f"schema up to date ({settings.database_url.split('://')[0]})")


@app.command()
def demo(
    as_json: JsonOpt = False,
    seed: Annotated[int, typer.Option(help="Seed of the scripted day (same seed, same day)")] = 20270301,
    appointments: Annotated[int, typer.Option(help="Appointments in the scripted day")] = 200,
    keep_running: Annotated[bool, typer.Option("--keep-running", help="Leave hub and sandbox up afterwards")]
    = False,
    workdir: Annotated[Path, typer.Option(help="Where the demo's database and log go")] = Path("var/demo"),
) -> None:
    """The main job: sandbox peers + the hub on the embedded default + a scripted register day, checked."""
    from hub.demo.runner import DemoReport, run_demo

    def hold(report: DemoReport) -> None:
        _print_demo(report, as_json)
        out.print(f"\nhub: {report.urls['hub']}   token: {report.urls['token']}")
        for name, info in report.urls["sandbox"].items():
            out.print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in info.items()), highlight=False)
        out.print("running; Ctrl-C to stop")
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()

    if not as_json:
        out.print(f"demo: {appointments} appointments, seed {seed}; sandbox peers and hub starting …")
    try:
        report = run_demo(seed=seed, count=appointments, workdir=workdir, keep_running=keep_running, on_ready=hold)
    except RuntimeError as exc:
        err.print(f"[red]demo failed:[/] {exc}  (log: {workdir / 'hub.log'})")
        raise typer.Exit(1) from None
    if not keep_running:
        _print_demo(report, as_json)
    raise typer.Exit(0 if report.ok else 1)


def _print_demo(report: Any, as_json: bool) -> None:
    if as_json:
        _print_json(report.as_json())
        return
    table = Table("flow", "expected", "observed", "dead", "result", "detail", title="afsprakenhub demo")
    for row in report.rows:
        table.add_row(row.name, str(row.expected), str(row.observed), str(row.dead),
                      "ok" if row.ok else "NOT OK", row.detail)
    out.print(table)
    out.print(f"{'ok' if report.ok else 'NOT OK'} in {report.duration_s:.1f} s; data: {report.urls.get('database')}, "
              f"log: {report.urls.get('log')}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [default: settings.host]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: settings.port, 8700]")] = None,
    with_worker: Annotated[bool, typer.Option(help="Also run worker threads (always on with the stub broker).")]
    = False,
) -> None:
    """Run the HTTP API (webhooks, operations, metrics)."""
    import uvicorn

    from hub.api.app import create_app
    from hub.serving import bind_tcp

    hub = _hub(upgrade=True)
    in_process = hub.runtime.is_stub or with_worker
    api = create_app(hub, start_runtime=in_process)
    host, port = host or hub.settings.host, port or hub.settings.port
    out.print(f"afsprakenhub on http://{host}:{port}/api/v1, console http://{host}:{port}/console/ "
              f"(workers {'in-process' if in_process else 'separate'})")
    config = uvicorn.Config(api, log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[bind_tcp(port, host)])


@app.command()
def worker(threads: Annotated[int | None, typer.Option(help="Worker threads [default: settings]")] = None) -> None:
    """Process deliveries from Redis or RabbitMQ (run N of these on N machines)."""
    hub = _hub(upgrade=True)
    if hub.runtime.is_stub:
        err.print("[red]The stub broker lives inside `serve`.[/] Set AFSPRAKENHUB_BROKER_URL to redis://… "
                  "or amqp://… to run separate workers.")
        raise typer.Exit(2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    from hub.console.peer_stats import start_flusher

    hub.runtime.start_worker(threads or hub.settings.worker_threads)
    hub.runtime.start_sweeper()
    flusher = start_flusher(hub)  # connector counts for the console, which runs in another process
    out.print(f"worker {hub.worker_name} running; Ctrl-C to stop", highlight=False)
    stop.wait()
    flusher.set()
    hub.close()


@app.command()
def deliver(delivery_id: int) -> None:
    """Process one delivery now, in the foreground (debugging; the queue is not used)."""
    hub = _hub()
    outcome = hub.runtime.processor.process(delivery_id)
    out.print(f"delivery {delivery_id}: {outcome.status}" + (f" ({outcome.detail})" if outcome.detail else ""))


@app.command()
def scheduler(interval: Annotated[float, typer.Option(help="Seconds between checks")] = 15.0) -> None:
    """Run scheduled jobs (cron in settings); safe to run on several machines at once."""
    from hub.console.peer_stats import start_flusher
    from hub.scheduler import Scheduler

    hub = _hub(upgrade=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    flusher = start_flusher(hub)  # jobs call peers too; the console shows their counts
    Scheduler(hub).run_forever(stop, interval)
    flusher.set()


@app.command()
def sync(
    job: Annotated[str | None, typer.Argument(help="Job name; omit to list the jobs")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute and print the plan; write nothing.")] = False,
    date: Annotated[str | None, typer.Option(help="Jobs that work per day: the day (YYYY-MM-DD)")] = None,
    days: Annotated[int | None, typer.Option(help="Jobs that look ahead: how many days")] = None,
    weeks: Annotated[int | None, typer.Option(help="Jobs that look ahead: how many weeks")] = None,
    force: Annotated[bool, typer.Option("--force", help="Jobs that deliver once: deliver again")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run one scheduled job once (options a job does not take are refused)."""
    from hub.scheduler import JOBS, run_job, schedule_of

    hub = _hub()
    if job is None:
        table = Table("job", "schedule", "what it does")
        for spec in sorted(JOBS.values(), key=lambda j: j.name):
            table.add_row(spec.name, schedule_of(hub, spec), spec.description)
        out.print(table if JOBS else "no jobs registered yet")
        return
    params: dict[str, Any] = {k: v for k, v in {"date": date, "days": days, "weeks": weeks}.items() if v is not None}
    if force:
        params["force"] = True
    try:
        result = run_job(hub, job, dry_run=dry_run, params=params)
    except (KeyError, ValueError) as exc:
        err.print(f"[red]{exc.args[0]}[/]")
        raise typer.Exit(2) from None
    if as_json:
        _print_json({"job": job, "dryRun": dry_run, "outcome": result.outcome, "counts": result.counts})
    else:
        out.print(f"{job}: {result.outcome}" + (" (dry run, nothing written)" if dry_run else ""))
        for key, value in result.counts.items():
            out.print(f"  {key}: {value}")


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Counts of received and processed events, and deliveries per flow and state."""
    from hub.operations import status as get_status

    data = get_status(_hub())
    if as_json:
        _print_json(data)
        return
    inbox = data["inbox"]
    out.print(f"inbox: {inbox['received']} received, {inbox['processed']} processed, {inbox['pending']} pending")
    table = Table("flow", "pending", "succeeded", "failed", "dead", "skipped")
    for flow, s in sorted(data["deliveries"].items()):
        table.add_row(flow, *(str(s[k]) for k in ("pending", "succeeded", "failed", "dead", "skipped")))
    out.print(table)


@deliveries_app.command("list")
def deliveries_list(
    status_: Annotated[str | None, typer.Option("--status", help="pending|succeeded|failed|dead|skipped")] = None,
    flow: Annotated[str | None, typer.Option(help="Only this flow")] = None,
    limit: Annotated[int, typer.Option(help="At most this many")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List deliveries, e.g. the dead letters of one flow."""
    from hub.operations import list_deliveries

    rows = list_deliveries(_hub(), status_=status_, flow=flow, limit=limit)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "flow", "status", "attempts", "event", "subject", "version", "last error")
    for r in rows:
        table.add_row(str(r.id), r.flow, r.status, str(r.attempts), r.eventType.rsplit(".", 1)[-1],
                      r.subject or "", str(r.version or ""), (r.lastError or "")[:80])
    out.print(table)


@app.command()
def replay(
    delivery_id: Annotated[int | None, typer.Argument(help="One delivery id")] = None,
    flow: Annotated[str | None, typer.Option(help="All deliveries of this flow …")] = None,
    status_: Annotated[str | None, typer.Option("--status", help="… in this state (dead, failed, skipped)")] = None,
) -> None:
    """Send failed or dead deliveries again (after fixing a mapping or a peer)."""
    from hub import operations

    if (delivery_id is None) == (status_ is None):
        err.print("[red]Give a delivery id, or --status (with optional --flow).[/]")
        raise typer.Exit(2)
    hub = _hub()
    if delivery_id is not None:
        ids = operations.replay(hub, [delivery_id], "cli")
    else:
        assert status_ is not None
        ids = operations.replay_matching(hub, flow=flow, status_=status_, actor="cli")
    if hub.runtime.is_stub and ids:
        # No separate worker can see the in-process queue: process them here and now.
        for i in ids:
            hub.runtime.processor.process(i)
    out.print(f"replayed {len(ids)} deliver{'y' if len(ids) == 1 else 'ies'}: {', '.join(map(str, ids)) or '-'}")


@app.command()
def trace(appointment_id: str, as_json: JsonOpt = False) -> None:
    """Every event, delivery and remote record of one appointment."""
    from hub.operations import trace as get_trace

    data = get_trace(_hub(), appointment_id)
    if as_json:
        _print_json(data)
        return
    table = Table("inbox", "type", "version", "received", "deliveries")
    for e in data["events"]:
        table.add_row(str(e["inboxId"]), e["type"].rsplit(".", 1)[-1], str(e["version"] or ""), e["receivedAt"],
                      ", ".join(f"{d['flow']}={d['status']}" for d in e["deliveries"]))
    out.print(table)
    links = Table("peer", "remote id", "last version")
    for link in data["links"]:
        links.add_row(link["peer"], link["remoteId"] or "", str(link["lastVersion"] or ""))
    out.print(links)


@app.command()
def purge(older_than: Annotated[int | None, typer.Option("--older-than", help="Days [default: retention]")] = None,
          ) -> None:
    """Remove stored payloads and personal data past retention; the audit log stays."""
    from hub.operations import purge as do_purge

    hub = _hub()
    days = older_than if older_than is not None else hub.settings.retention_days
    counts = do_purge(hub, days, "cli")
    out.print(f"purged payloads of {counts['events']} events and {counts['links']} link records older than {days} days")


# --- command groups contributed by connectors, flows and the sandbox (one line each) ---------------
def _register_command_groups() -> None:
    from hub.cli_contract import register as register_contract_test
    from sandbox.cli import register as register_sandbox

    register_contract_test(app)
    register_sandbox(app)
    from hub.cli_zgw import register as register_zgw
    register_zgw(app)
    from flows.surveys.cli import register as register_surveys
    register_surveys(app)
    from flows.roster.cli import register as register_roster
    register_roster(app)
    from hub.cli_migrate import register as register_migrate
    register_migrate(app)
    from hub.cli_export import register as register_export
    register_export(app)


_register_command_groups()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
