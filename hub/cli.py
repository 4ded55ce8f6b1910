"""`afsprakenhub`: the operations command line (typer + rich); heavy modules are imported by the command that runs."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.cli_errors import DEBUG, hide_password, store_problem
from hub.cli_hub import check_driver as _check_driver
from hub.cli_hub import open_hub as _hub
from hub.cli_hub import read_settings as _settings
from hub.cli_lazy import LazyGroup

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.config import Settings
    from hub.demo.runner import DemoReport

app = typer.Typer(help="afsprakenhub: keeps every system around the appointment register in step.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  rich_markup_mode=None, cls=LazyGroup)
db_app = typer.Typer(help="The hub's own database.", no_args_is_help=True)
deliveries_app = typer.Typer(help="Deliveries: one inbound event handed to one flow.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(deliveries_app, name="deliveries")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def root(debug: Annotated[bool, typer.Option("--debug", help="Show the traceback under a one-line error.")]
         = False) -> None:
    """afsprakenhub: keeps every system around the appointment register in step."""
    DEBUG["on"] = debug


def _announce_register(hub: Hub) -> None:
    """At start: a warning per flow or job the configured register cannot serve (also logged)."""
    from hub.register_matrix import announce

    for line in announce(hub):
        err.print(f"warning: {line}", soft_wrap=True, markup=False, highlight=False)


AUTOVACUUM_OFF = ("the PostgreSQL server runs with autovacuum off: the store's statistics go stale as its tables "
                  "grow, and the query plans cached with them (the waste-depot gate's admissions took about twice "
                  "as long in bench/waste_depot_gate.py). Turn autovacuum on (PostgreSQL's default) or run ANALYZE "
                  "on the hub's database regularly.")


def _announce_store(hub: Hub) -> None:
    """At start: a warning (also logged) when the store's settings slow the hub down."""
    if hub.db.autovacuum_off():
        import structlog

        structlog.get_logger("afsprakenhub.store").warning("store.autovacuum_off", detail=AUTOVACUUM_OFF)
        err.print(f"warning: {AUTOVACUUM_OFF}", soft_wrap=True, markup=False, highlight=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Create or migrate the schema (SQLite or PostgreSQL, per AFSPRAKENHUB_DATABASE_URL)."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.store.db import upgrade

    settings = _settings()
    _check_driver(settings.database_url)
    try:
        upgrade(settings.database_url)
    except SQLAlchemyError as exc:
        raise store_problem(exc, settings.database_url) from exc
    backend = settings.database_url.split("://")[0]
    if as_json:
        _print_json({"schema": "up to date", "backend": backend, "database": hide_password(settings.database_url)})
    else:
        out.print(f"schema up to date ({backend})")


@app.command()
def demo(
    as_json: JsonOpt = False,
    seed: Annotated[int, typer.Option(help="Seed of the scripted day (same seed, same day)")] = 20270301,
    appointments: Annotated[int, typer.Option(help="Appointments in the scripted day")] = 200,
    keep_running: Annotated[bool, typer.Option("--keep-running", help="Leave hub and sandbox up afterwards")]
    = False,
    workdir: Annotated[Path, typer.Option(help="Where the demo's database, log and simulators' files go")]
    = Path("var/demo"),
    register: Annotated[str, typer.Option("--register", help="The hub's register: canonical, jcc-rest or qmatic "
                                          "(a vendor's simulator holding the same day; what it cannot do shows "
                                          "as unsupported)")] = "canonical",
    outage: Annotated[str | None, typer.Option(help="Play the day with this peer rejecting some records, then down "
                                               "for a while: breaker open → recovery → bulk replay → all ok "
                                               "(salesforce, klantinteracties or outlook)")] = None,
) -> None:
    """The main job: sandbox peers + the hub on the embedded default + a scripted register day, checked."""
    from hub.demo.outage import SIMULATORS, run_outage_demo
    from hub.demo.runner import run_demo
    from hub.ports.register_vendors import VENDORS

    if register not in VENDORS:
        err.print(f"[red]--register {register}: unknown register; known: {', '.join(sorted(VENDORS))}[/]")
        raise typer.Exit(2)
    if outage is not None and register != "canonical":
        err.print("--outage plays the day on the canonical register; leave out --register", markup=False,
                  highlight=False)
        raise typer.Exit(2)

    if outage is not None and outage not in SIMULATORS:
        err.print(f"--outage: no outage demo for {outage!r}; choose one of {', '.join(sorted(SIMULATORS))}",
                  markup=False, highlight=False)
        raise typer.Exit(2)

    # Progress on the terminal; under --json on stderr, so stdout stays one JSON document.
    talk = err if as_json else out

    def progress(message: str) -> None:
        talk.print(f"demo: {message}", highlight=False, soft_wrap=True)

    def hold(report: DemoReport) -> None:
        _print_demo(report, as_json)
        _print_running(report, talk)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()

    progress(f"{appointments} appointments, seed {seed}, register {register}; work dir {workdir}")
    try:
        if outage is not None:
            report = run_outage_demo(outage, seed=seed, count=appointments, workdir=workdir,
                                     keep_running=keep_running, on_ready=hold, progress=progress)
        else:
            report = run_demo(seed=seed, count=appointments, workdir=workdir, keep_running=keep_running,
                              on_ready=hold, progress=progress, register=register)
    except RuntimeError as exc:
        err.print(f"[red]demo failed:[/] {exc}  (log: {workdir / 'hub.log'})", soft_wrap=True)
        raise typer.Exit(1) from None
    if not keep_running:
        _print_demo(report, as_json)
    raise typer.Exit(0 if report.ok else 1)


def _print_demo(report: DemoReport, as_json: bool) -> None:
    if as_json:
        _print_json(report.as_json())
        return
    table = Table("flow", "expected", "observed", "dead", "result", title="afsprakenhub demo")
    for row in report.rows:
        result = "unsupported" if row.unsupported else "ok" if row.ok else "NOT OK"
        table.add_row(row.name, str(row.expected), str(row.observed), str(row.dead), result)
    out.print(table)
    # Details and paths below the table, never cut at the terminal's width.
    details = [row for row in report.rows if row.detail]
    if details:
        out.print("details:")
        for row in details:
            out.print(f"  {row.name}: {row.detail}", highlight=False, soft_wrap=True, markup=False)
    urls = report.urls
    out.print(f"{'ok' if report.ok else 'NOT OK'} in {report.duration_s:.1f} s", highlight=False)
    for label, key in (("data", "database"), ("log", "log"), ("simulators' files", "scratch")):
        if urls.get(key):
            out.print(f"  {label}: {urls[key]}", highlight=False, soft_wrap=True, markup=False)


def _status_line(database_url: str) -> str:
    """The shell line that runs `afsprakenhub status` on the demo's store, from any folder."""
    import shlex

    if database_url.startswith("sqlite:///"):
        database_url = f"sqlite:///{Path(database_url.removeprefix('sqlite:///')).resolve()}"
    return f"AFSPRAKENHUB_DATABASE_URL={shlex.quote(database_url)} afsprakenhub status"


def _print_running(report: DemoReport, talk: Console) -> None:
    urls = report.urls
    lines = [f"hub:     {urls['hub']}", f"console: {urls['console']}  (log in with the token)",
             f"token:   {urls['token']}", f"store:   {_status_line(urls['database_url'])}"]
    lines += [f"{name}: " + ", ".join(f"{k}={v}" for k, v in info.items()) for name, info in urls["sandbox"].items()]
    for line in ["", *lines, "running; Ctrl-C to stop"]:
        talk.print(line, highlight=False, soft_wrap=True, markup=False)


def _has_credentials(settings: Settings) -> bool:
    return bool(settings.api_token_map()) or bool(settings.jwt.jwks_url)


NO_CREDENTIALS = ("serve refuses to start without credentials: every request but liveness would answer 401 and "
                  "nobody could log in to the console. Set AFSPRAKENHUB_API_TOKENS=name:long-random-token[,…] "
                  "(or AFSPRAKENHUB_JWT__JWKS_URL, AFSPRAKENHUB_JWT__ISSUER and AFSPRAKENHUB_JWT__AUDIENCE for "
                  "OAuth2 JWTs). For a local trial only: afsprakenhub serve --trial (a one-off token, printed).")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [default: settings.host]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: settings.port, 8700]")] = None,
    with_worker: Annotated[bool, typer.Option("--with-worker",
                                              help="Also run worker threads (always on with the stub broker).")]
    = False,
    trial: Annotated[bool, typer.Option("--trial", help="Local trial without configured credentials: a one-off "
                                        "API token for this run, printed with a warning. Never in production.")]
    = False,
) -> None:
    """Run the HTTP API (webhooks, operations, metrics); needs AFSPRAKENHUB_API_TOKENS or JWT settings.

    Slow clients are cut off: a request head must arrive within AFSPRAKENHUB_HTTP__HEADER_TIMEOUT_SECONDS (10),
    its body within __BODY_TIMEOUT_SECONDS (30); idle keep-alive connections close after __KEEP_ALIVE_SECONDS (5)
    and at most __MAX_CONNECTIONS (1000) are open. HTTP/1.1 is parsed by httptools and the event loop is uvloop
    when installed (AFSPRAKENHUB_HTTP__PARSER=h11 for the pure-Python parser).
    """
    settings = _settings()
    if not _has_credentials(settings):
        if not trial:
            err.print(f"error: {NO_CREDENTIALS}", soft_wrap=True, markup=False, highlight=False)
            raise typer.Exit(2)
        from pydantic import SecretStr

        from hub.demo.runner import new_token

        token = new_token()
        settings = settings.model_copy(update={"api_tokens": SecretStr(f"trial:{token}")})
        err.print(f"WARNING: TRIAL MODE, no AFSPRAKENHUB_API_TOKENS or JWT settings. This run accepts the one-off "
                  f"token below (name 'trial') and no other; it ends with this process. Set "
                  f"AFSPRAKENHUB_API_TOKENS before anyone else uses this hub.\n  token: {token}",
                  style="bold red", soft_wrap=True, markup=False, highlight=False)
    elif trial:
        err.print("--trial ignored: credentials are configured", highlight=False)
    import uvicorn

    from hub.api.app import create_app
    from hub.serving import bind_tcp, server_config

    hub = _hub(upgrade=True, broker=True, settings=settings)
    _announce_register(hub)
    _announce_store(hub)
    in_process = hub.runtime.is_stub or with_worker
    api = create_app(hub, start_runtime=in_process)
    _prepare_gate(hub)
    from hub.gc_pauses import serving

    serving()  # what start-up built is frozen: full collections no longer walk it (hub/gc_pauses.py)
    host, port = host or hub.settings.host, port or hub.settings.port
    out.print(f"afsprakenhub on http://{host}:{port}/api/v1, console http://{host}:{port}/console/ "
              f"(workers {'in-process' if in_process else 'separate'})", soft_wrap=True)
    # Slow clients are cut off (head/body deadlines) and open connections bounded: settings.http.
    uvicorn.Server(server_config(api, hub.settings.http)).run(sockets=[bind_tcp(port, host)])


def _prepare_gate(hub: Hub) -> None:
    """Waste-depot gates configured: their index and group commit ready before the first scan arrives."""
    from flows.waste_depot.gate import prepare

    try:
        prepare(hub)
    except Exception as exc:  # the store does not answer yet: the first scan loads the index instead
        err.print(f"warning: the waste-depot gate could not be prepared ({type(exc).__name__}); the first scan "
                  "loads its index", soft_wrap=True, markup=False, highlight=False)


@app.command()
def worker(threads: Annotated[int | None, typer.Option(help="Worker threads [default: settings]")] = None) -> None:
    """Process deliveries from Redis or RabbitMQ (run N of these on N machines)."""
    settings = _settings()
    if settings.broker_url in ("", "stub"):
        err.print("[red]The stub broker lives inside `serve`.[/] Set AFSPRAKENHUB_BROKER_URL to redis://… "
                  "or amqp://… to run separate workers.", soft_wrap=True)
        raise typer.Exit(2)
    hub = _hub(upgrade=True, broker=True, settings=settings)
    _announce_register(hub)
    _announce_store(hub)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    from hub.console.peer_stats import start_flusher

    hub.runtime.start_worker(threads or hub.settings.worker_threads)
    hub.runtime.start_sweeper()
    flusher = start_flusher(hub)  # connector counts for the console, which runs in another process
    from hub.alerts.engine import start_alerts

    alerts = start_alerts(hub)  # this process's loops, and the store-wide conditions
    out.print(f"worker {hub.worker_name} running; Ctrl-C to stop", highlight=False)
    stop.wait()
    alerts.set()
    flusher.set()
    hub.close()


@app.command()
def deliver(delivery_id: int, as_json: JsonOpt = False) -> None:
    """Process one delivery now, in the foreground (debugging; the queue is not used)."""
    hub = _hub()
    outcome = hub.runtime.processor.process(delivery_id)
    if as_json:
        _print_json({"delivery": delivery_id, "status": outcome.status, "detail": outcome.detail})
    else:
        out.print(f"delivery {delivery_id}: {outcome.status}" + (f" ({outcome.detail})" if outcome.detail else ""))


@app.command()
def scheduler(interval: Annotated[float, typer.Option(help="Seconds between checks")] = 15.0) -> None:
    """Run scheduled jobs (cron in settings); safe to run on several machines at once."""
    from hub.console.peer_stats import start_flusher
    from hub.scheduler import Scheduler

    hub = _hub(upgrade=True, broker=True)
    _announce_register(hub)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    flusher = start_flusher(hub)  # jobs call peers too; the console shows their counts
    from hub.alerts.engine import start_alerts

    alerts = start_alerts(hub)  # a stuck scheduler loop is this process's to report
    Scheduler(hub).run_forever(stop, interval)
    alerts.set()
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
    """Run one scheduled job once (options a job does not take are refused); no JOB lists the jobs."""
    from hub.scheduler import JOBS, run_job, schedule_of

    hub = _hub()
    if job is None:
        specs = sorted(JOBS.values(), key=lambda j: j.name)
        if as_json:
            _print_json([{"job": s.name, "schedule": schedule_of(hub, s), "description": s.description}
                         for s in specs])
            return
        table = Table("job", "schedule", "what it does")
        for spec in specs:
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
    from hub.register_matrix import report_lines

    out.print(f"register: {data['register']['vendor']}", highlight=False)
    for line in report_lines(data["register"]):
        out.print(f"  {line}", soft_wrap=True, markup=False, highlight=False)
    for peer in data["peers"]:
        if peer["state"] != "closed":
            out.print(f"peer {peer['peer']}: {peer['state']}" + (f" until {peer['until']}" if peer["until"] else "")
                      + (f" ({peer['reason']})" if peer["reason"] else ""), highlight=False, markup=False)


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
    status_: Annotated[str | None, typer.Option("--status", help="Deliveries in this state: dead (default), failed "
                                                "or skipped")] = None,
    flow: Annotated[str | None, typer.Option(help="Only this flow")] = None,
    peer: Annotated[str | None, typer.Option(help="Only those a failure of this peer ended (e.g. salesforce)")]
    = None,
    error: Annotated[str | None, typer.Option(help="Only those whose last error contains this text")] = None,
    error_class: Annotated[str | None, typer.Option(help="Only this error class: permanent, transient (gave up), "
                                                    "unexpected, stale, purged, unregistered")] = None,
    since: Annotated[str | None, typer.Option(help="Only those created at or after (ISO; Amsterdam time)")] = None,
    until: Annotated[str | None, typer.Option(help="Only those created before (ISO; Amsterdam time)")] = None,
    appointment: Annotated[str | None, typer.Option(help="Only this appointment's deliveries")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print how many match, per flow, and a sample; "
                                          "replay nothing")] = False,
    sample: Annotated[int, typer.Option(help="Rows in the --dry-run sample", min=0, max=100)] = 10,
    rate: Annotated[float | None, typer.Option(help="Deliveries per second [default: the peer's "
                                               "AFSPRAKENHUB_BREAKER__REPLAY_RATES entry, else 20]", min=0.01)]
    = None,
    resume: Annotated[int | None, typer.Option(help="Continue an interrupted run (its id); each delivery is "
                                               "replayed once")] = None,
    runs: Annotated[bool, typer.Option("--runs", help="List recent bulk replay runs")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send failed or dead deliveries again (after fixing a mapping or a peer): one id, or a filtered bulk run.

    A bulk run (any filter; --status dead by default) pages through what matched when it started, paced to the
    peer's rate, with a progress bar; Ctrl-C stops it and `--resume RUN` continues where it stopped. A replayed
    delivery keeps its id and the flow sees it is a replay. Try --dry-run first.
    """
    from hub import operations
    from hub import replay as bulk

    filters = (flow, peer, error, error_class, since, until, appointment)
    if runs:
        _print_runs(bulk.list_runs(_hub()), as_json)
        return
    if delivery_id is not None and (status_ or any(f is not None for f in filters) or resume):
        err.print("[red]Give a delivery id, or filters (--status, --flow, --peer, …), not both.[/]")
        raise typer.Exit(2)
    if delivery_id is None and resume is None and status_ is None and all(f is None for f in filters):
        err.print("[red]Give a delivery id, or --status and/or other filters (--flow, --peer, --error, --since, …), "
                  "or --resume RUN.[/]", soft_wrap=True)
        raise typer.Exit(2)
    hub = _hub(broker=not dry_run)
    if delivery_id is not None:
        ids = operations.replay(hub, [delivery_id], "cli")
        if hub.runtime.is_stub and ids:
            hub.runtime.processor.process(delivery_id)  # no separate worker sees the in-process queue
        if as_json:
            _print_json({"replayed": ids, "processedHere": hub.runtime.is_stub})
        else:
            noun = "delivery" if len(ids) == 1 else "deliveries"
            out.print(f"replayed {len(ids)} {noun}: {', '.join(map(str, ids)) or '-'}")
        return
    if resume is not None:
        found = bulk.get_run(hub, resume)
        if found is None:
            err.print(f"[red]No replay run {resume}[/] (afsprakenhub replay --runs lists them)")
            raise typer.Exit(2)
        chosen = found.filter
    else:
        chosen = _replay_filter(status_, flow, peer, error, error_class, since, until, appointment)
    if dry_run:
        preview = bulk.preview(hub, chosen, sample)
        if as_json:
            _print_json(preview.model_dump(mode="json"))
            return
        out.print(f"{preview.count} deliver{'y' if preview.count == 1 else 'ies'} would be replayed"
                  + (f" ({', '.join(f'{f}: {n}' for f, n in preview.byFlow.items())})" if preview.byFlow else ""),
                  highlight=False)
        table = Table("id", "flow", "peer", "class", "subject", "created", "replays", "last error")
        for r in preview.sample:
            table.add_row(str(r.id), r.flow, r.peer or "", r.errorClass or "", r.subject or "",
                          r.createdAt.isoformat(timespec="seconds"), str(r.replays), (r.lastError or "")[:60])
        if preview.sample:
            out.print(table)
        return
    _run_bulk(hub, resume, chosen, rate, as_json)


def _replay_filter(status_: str | None, flow: str | None, peer: str | None, error: str | None,
                   error_class: str | None, since: str | None, until: str | None,
                   appointment: str | None) -> Any:
    """The bulk replay filter from the options, or a one-line error (exit 2)."""
    from pydantic import ValidationError

    from hub.replay import ReplayFilter
    from hub.when import parse_moment

    try:
        return ReplayFilter(status=status_ or "dead", flow=flow, peer=peer, error_contains=error,
                            error_class=error_class, since=parse_moment(since) if since else None,
                            until=parse_moment(until) if until else None, appointment=appointment)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            message = f"--{str(first['loc'][0]).replace('_contains', '').replace('_', '-')}: {first['msg']}"
        else:
            message = str(exc)
        err.print(message, markup=False, highlight=False)
        raise typer.Exit(2) from None


def _run_bulk(hub: Hub, resume: int | None, chosen: Any, rate: float | None, as_json: bool) -> None:
    """Start (or resume) a bulk replay run in the foreground: progress bar, Ctrl-C stops it resumably."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from hub import replay as bulk

    run = bulk.get_run(hub, resume) if resume is not None else bulk.start(hub, chosen, "cli")
    assert run is not None
    pace = rate or hub.settings.breaker.rate_for(chosen.peer)
    processor = hub.runtime.processor

    def deliver(ids: list[int]) -> None:
        if hub.runtime.is_stub:  # no separate worker sees the in-process queue: process them here and now
            for i in ids:
                processor.process(i)
        else:
            hub.runtime.enqueue_many(ids)

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    bar = Progress(TextColumn(f"replay run {run.id}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=err, transient=True, disable=as_json)
    try:
        with bar:
            task = bar.add_task("replay", total=run.total, completed=run.replayed)
            result = bulk.run(hub, run.id, rate=pace, page_size=hub.settings.breaker.replay_page_size,
                              deliver=deliver, stop=stop,
                              on_progress=lambda view: bar.update(task, completed=view.replayed))
    except RuntimeError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    done = result.run
    if as_json:
        _print_json({"run": done.model_dump(mode="json"), "replayedNow": result.replayedNow,
                     "processedHere": hub.runtime.is_stub})
    else:
        noun = "delivery" if result.replayedNow == 1 else "deliveries"
        out.print(f"replayed {result.replayedNow} {noun} (run {done.id}: {done.replayed} of {done.total}, "
                  f"{done.state}, {pace:g}/s)", highlight=False)
    if done.state != "done":
        err.print(f"interrupted: resume with  afsprakenhub replay --resume {done.id}", markup=False, highlight=False)
        raise typer.Exit(1)


def _print_runs(runs: list[Any], as_json: bool) -> None:
    if as_json:
        _print_json([r.model_dump(mode="json") for r in runs])
        return
    table = Table("run", "state", "replayed", "of", "by", "started", "filter")
    for r in runs:
        table.add_row(str(r.id), r.state, str(r.replayed), str(r.total), r.actor,
                      r.createdAt.isoformat(timespec="seconds"),
                      ", ".join(f"{k}={v}" for k, v in r.filter.model_dump(mode="json", exclude_none=True).items()))
    out.print(table if runs else "no replay runs yet")


@app.command()
def drift(
    days: Annotated[int | None, typer.Option(min=1, max=366, help="Days ahead to compare [default: drift.days]")]
    = None,
    repair: Annotated[bool, typer.Option("--repair", help="Queue the fixes through the normal delivery path "
                                         "(paced at drift.repairs_per_second).")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Also write the findings as CSV to this file.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare the register's coming days with Outlook, Salesforce and Klantinteracties: missing, orphaned, shifted."""
    from flows.drift import reconcile
    from flows.drift.report import to_csv

    hub = _hub(broker=True)
    if out_file is not None and not out_file.parent.exists():
        err.print(f"[red]The folder {out_file.parent} does not exist.[/]", highlight=False)
        raise typer.Exit(2)
    report = reconcile(hub, days or hub.settings.drift.days, repair=repair,
                       progress=lambda line: err.print(line, highlight=False, soft_wrap=True))
    if repair and hub.runtime.is_stub and report.repaired:
        # No separate worker sees the in-process queue: process the fixes here, at their paced times.
        _process_paced(hub)
    if out_file is not None:
        out_file.write_text(to_csv(report.findings), encoding="utf-8")
    if as_json:
        _print_json(report.model_dump(mode="json", by_alias=True) | {"counts": report.counts()})
        return
    out.print(f"{report.appointments} appointments, {report.days} days ahead, peers: "
              f"{', '.join(report.peers) or 'none'}; {len(report.findings)} difference(s)"
              + (f"; {report.repaired} fix(es) queued" if repair else ""), highlight=False)
    for peer, why in report.skipped_peers.items():
        out.print(f"  {peer}: {why}", highlight=False)
    if report.findings:
        table = Table("peer", "kind", "appointment", "where", "detail")
        for f in report.findings[:200]:
            table.add_row(f.peer, f.kind, f.appointment_id or "", f.target, f.detail)
        out.print(table)
        if len(report.findings) > 200:
            out.print(f"… and {len(report.findings) - 200} more (use --json or --out)")


def _process_paced(hub: Hub) -> None:
    """Process the open deliveries the drift run queued, each when it is due."""
    import time

    from sqlalchemy import select

    from hub.store.tables import Delivery, DeliveryStatus, InboxEvent

    with hub.db.reading() as s:
        rows = list(s.execute(select(Delivery.id, Delivery.next_attempt_at).join(
            InboxEvent, InboxEvent.id == Delivery.inbox_id).where(
            InboxEvent.caller == "drift", Delivery.status == DeliveryStatus.PENDING).order_by(Delivery.id)))
    for delivery_id, due in rows:
        time.sleep(max(0.0, (due - hub.now()).total_seconds()))
        hub.runtime.processor.process(delivery_id)


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
          as_json: JsonOpt = False) -> None:
    """Remove stored payloads and personal data past retention; the audit log stays."""
    from hub.operations import purge as do_purge

    hub = _hub()
    days = older_than if older_than is not None else hub.settings.retention_days
    counts = do_purge(hub, days, "cli")
    if as_json:
        _print_json({"olderThanDays": days, **counts})
    else:
        out.print(f"purged payloads of {counts['events']} events and {counts['links']} link records older than "
                  f"{days} days")


# `contract-test` is light; the other groups (sandbox, zgw, surveys, roster, migrate) load on first use (cli_lazy).
def _register_command_groups() -> None:
    from hub.cli_contract import register as register_contract_test

    register_contract_test(app)


_register_command_groups()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
