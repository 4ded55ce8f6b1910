"""Run the demo: start the sandbox and the hub, play the scripted day, settle, check every part."""

from __future__ import annotations

import importlib
import pkgutil
import random
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.demo import parts as demo_parts
from hub.demo import vendor as demo_vendor
from hub.demo.day import DayPlan, PlannedAppointment, plan_day
from hub.demo.parts import DEMO_PARTS, DemoContext, DemoPart, DemoRow, counted
from hub.logging import configure_logging
from hub.operations import status
from hub.serving import ThreadedServer, bind_tcp
from hub.settings import RetrySettings
from hub.store.tables import InboxEvent

log = structlog.get_logger("afsprakenhub.demo")
#: Where the demo says how far it is (phases and counts); the CLI prints it, tests and benchmarks ignore it.
Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The default progress: say nothing."""


def new_token(nbytes: int = 24) -> str:
    """A random URL-safe token that does not start with `-` (so it is never read as a command-line option)."""
    while True:
        token = secrets.token_urlsafe(nbytes)
        if not token.startswith("-"):
            return token


@dataclass
class DemoReport:
    rows: list[DemoRow]
    duration_s: float
    workdir: Path
    urls: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "durationS": round(self.duration_s, 2),
                "flows": {r.name: {"expected": r.expected, "observed": r.observed, "dead": r.dead,
                                   **({"unsupported": r.unsupported} if r.unsupported else {})} for r in self.rows}}


def load_parts() -> list[DemoPart]:
    """Import every `sandbox.<peer>.demo` module and instantiate the registered parts."""
    import sandbox

    for module in pkgutil.iter_modules(sandbox.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"sandbox.{module.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"sandbox.{module.name}.demo":
                    raise
    return [cls() for cls in DEMO_PARTS]


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Wait for a condition (polled; the demo has no event to wait on across its peers)."""
    stop = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        stop.wait(interval)
    return predicate()


def _open_deliveries(snapshot: dict[str, Any]) -> int:
    return sum(s["pending"] + s["failed"] for s in snapshot["deliveries"].values())


def _settled(hub: Hub) -> bool:
    snapshot = status(hub)
    return snapshot["inbox"]["pending"] == 0 and _open_deliveries(snapshot) == 0


def play(register: Any, plan: DayPlan) -> int:
    """Book every planned appointment, then apply their actions in rounds (a day's interleaving)."""
    for p in plan.appointments:
        appointment = register.book(
            p.start, products=p.products, location=p.location, customer=p.customer, employee=p.employee,
            room=p.room, counter=p.counter, channel=p.channel, department=p.department,
            case_reference=p.case_reference, group_size=p.group_size)
        p.appointment_id = appointment.id
    rounds = max((len(p.actions) for p in plan.appointments), default=0)
    for step in range(rounds):
        for p in plan.appointments:
            if step < len(p.actions):
                _apply(register, p, p.actions[step])
    return len(register.emitted)


def _apply(register: Any, p: PlannedAppointment, action: str) -> None:
    assert p.appointment_id is not None
    if action == "reschedule":
        assert p.reschedule_to is not None
        register.reschedule(p.appointment_id, p.reschedule_to)
    elif action == "reassign":
        register.reassign(p.appointment_id, **p.reassign_to)
    else:
        getattr(register, action)(p.appointment_id)


def intake_row(hub: Hub, register: Any) -> DemoRow:
    """Every event the register emitted is stored exactly once."""
    emitted = {(e.source, e.id) for e in register.emitted}
    with hub.db.unit_of_work() as s:
        stored = [(src, eid) for src, eid in s.execute(select(InboxEvent.source, InboxEvent.event_id))]
    matching = [k for k in stored if k in emitted]
    twice = len(matching) - len(set(matching))
    return DemoRow("intake", len(emitted), len(set(matching)) - twice, 0,
                   detail=f"{register.emitter.stats().duplicated} sent twice, stored once")


#: Launches the hub for a stack: gets the hub's settings and its bound socket, returns a stopper.
HubLauncher = Callable[[Settings, "socket.socket"], Callable[[], None]]


def serve_in_process(hub: Hub) -> HubLauncher:
    """The demo's default: the hub's API, worker threads and sweeper in this process."""
    from hub.api.app import create_app

    def launch(settings: Settings, sock: socket.socket) -> Callable[[], None]:
        return ThreadedServer(create_app(hub, start_runtime=True), sock).start().stop

    return launch


class DemoStack:
    """The demo's pieces, started: every part's simulators in one sandbox server, the register, and the hub.

    `stack.hub` is a Hub on the demo's store in this process; by default it also serves the API and runs
    the workers, while a `launcher` may run them elsewhere (e.g. `afsprakenhub serve` subprocesses).
    `overrides` are merged last into the hub's settings (a PostgreSQL store, short leases, …).
    """

    def __init__(self, *, seed: int = 20270301, count: int = 200, day: date | None = None,
                 workdir: Path = Path("var/demo"), timeout: float = 120.0, overrides: dict[str, Any] | None = None,
                 launcher: Callable[[Hub], HubLauncher] = serve_in_process, log_level: str = "INFO",
                 progress: Progress = _quiet, register_vendor: str = "canonical") -> None:
        self.seed, self.count, self.day, self.workdir, self.timeout = seed, count, day, workdir, timeout
        self.overrides, self.launcher, self.log_level = overrides or {}, launcher, log_level
        self.progress = progress
        #: The hub's register (`demo --register`): the canonical simulator, or a vendor's fed the same day.
        self.register_vendor = register_vendor
        self.vendor_sim: Any = None
        self.mirrored: list[Any] = []
        #: Per part: its rows the register cannot serve ("not supported by register …").
        self.unsupported: dict[str, dict[str, str]] = {}
        #: The simulators' folders (SFTP root, drop folders, reports): under the work dir, emptied at each start.
        self.scratch = workdir / "tmp"
        self.parts: list[DemoPart] = []
        self._stoppers: list[Callable[[], None]] = []

    def __enter__(self) -> DemoStack:
        from sandbox.register.simulator import RegisterSimulator
        from sandbox.server import SandboxServer

        self.t0 = time.monotonic()
        self.progress("starting the sandbox peers and the hub …")
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir()
        demo_parts.SCRATCH["dir"] = self.scratch
        self._stoppers.append(demo_parts.SCRATCH.clear)
        db_path = self.workdir / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        self.log_path = self.workdir / "hub.log"
        log_file = self.log_path.open("w", encoding="utf-8")
        configure_logging(self.log_level, "json", stream=log_file)
        self._stoppers.append(log_file.close)
        self._stoppers.append(lambda: configure_logging("INFO", "auto"))

        self.parts = load_parts()
        self.token = token = new_token()
        hub_sock = bind_tcp()
        self.hub_url = hub_url = "http://{}:{}".format(*hub_sock.getsockname()[:2])
        self.register = register = RegisterSimulator(seed=self.seed, hub_url=hub_url, hub_token=token)
        self.vendor_sim = demo_vendor.vendor_simulator(self.register_vendor, self.seed)
        simulators = [sim for part in self.parts for sim in part.simulators(self.seed)]
        if self.vendor_sim is not None:
            simulators.insert(0, self.vendor_sim)
        self.sandbox = sandbox = SandboxServer(register, *simulators)
        sandbox.start()
        self._stoppers.append(sandbox.stop)
        try:
            base: dict[str, Any] = {
                "database_url": f"sqlite:///{db_path}", "broker_url": "stub", "api_tokens": f"demo:{token}",
                "public_url": hub_url, "worker_threads": 2, "log_format": "json", "log_level": self.log_level,
                "register_api": {"base_url": register.api_url, "token_url": register.token_url,
                                 "client_id": register.tokens.client_id,
                                 "client_secret": register.tokens.client_secret},
                "retry": RetrySettings(max_attempts=8, base_seconds=0.1, max_seconds=2.0, lease_seconds=60,
                                       sweep_interval_seconds=2.0, sweep_grace_seconds=2.0).model_dump(),
            }
            for part in self.parts:
                base = deep_merge(base, part.settings(sandbox))
            base = deep_merge(base, demo_vendor.register_settings(self.register_vendor, self.vendor_sim))
            self.settings_data = deep_merge(base, self.overrides)
            self.hub = hub = Hub(Settings(**self.settings_data), worker_name="demo")
            self._stoppers.append(hub.close)
            port = hub.peers.register
            self.unsupported = {part.name: demo_vendor.unsupported_rows(part, port.vendor, port.capabilities)
                                for part in self.parts}
            hub.db.upgrade()
            self._stoppers.append(self.launcher(hub)(hub.settings, hub_sock))
            self.plan = plan_day(self.seed, self.count, self.day)
            self.ctx = DemoContext(hub=hub, sandbox=sandbox, register=register, day=self.plan,
                                   rng=random.Random(self.seed), workdir=self.workdir, hub_url=hub_url,
                                   hub_token=token, settle=self.settle)
        except BaseException:
            self.close()
            raise
        self.progress(f"up: hub {hub_url}, {len(simulators) + 1} simulators, {len(self.parts)} parts, register "
                      f"{self.register_vendor} ({time.monotonic() - self.t0:.1f} s)")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        while self._stoppers:
            self._stoppers.pop()()

    def settle(self) -> None:
        """Wait until the register's outbox is empty and the hub has nothing open (saying how far, every 2 s)."""
        if not self.register.emitter.flush(self.timeout):
            raise RuntimeError("the register's events did not all reach the hub")
        said = [time.monotonic()]

        def settled() -> bool:
            snapshot = status(self.hub)
            open_now = _open_deliveries(snapshot)
            if snapshot["inbox"]["pending"] == 0 and open_now == 0:
                return True
            if time.monotonic() - said[0] >= 2.0:
                said[0] = time.monotonic()
                inbox = snapshot["inbox"]
                self.progress(f"  settling: {inbox['processed']} of {inbox['received']} events processed, "
                              f"{open_now} deliveries open")
            return False

        if not wait_until(settled, self.timeout):
            raise RuntimeError(f"the hub did not settle within {self.timeout:.0f} s: {status(self.hub)}")

    def idle(self, part: DemoPart) -> bool:
        """Whether the register cannot serve the part's own row: then none of its hooks run."""
        return part.name in self.unsupported.get(part.name, {})

    def before_day(self) -> None:
        self.progress(f"before the day: seeding {len(self.parts)} peers")
        for part in self.parts:
            if not self.idle(part):
                part.before_day(self.ctx)

    def play(self) -> int:
        self.progress(f"playing the day: {len(self.plan.appointments)} appointments")
        events = play(self.register, self.plan)
        if self.vendor_sim is not None:  # the vendor's register holds the same day as the one that played it
            self.mirrored = demo_vendor.mirror(self.vendor_sim, self.register.appointments())
            self.progress(f"  {len(self.mirrored)} appointments mirrored into the {self.register_vendor} register")
        log.info("demo.day_played", appointments=len(self.plan.appointments), events=events)
        self.progress(f"  the register emitted {events} events; the hub is processing them")
        return events

    def after_day(self) -> None:
        for n, part in enumerate(self.parts, 1):  # one at a time: each part sees the effects of the ones before it
            if self.idle(part):
                self.progress(f"after the day {n}/{len(self.parts)}: {part.name} "
                              f"({self.unsupported[part.name][part.name]})")
                continue
            self.progress(f"after the day {n}/{len(self.parts)}: {part.name}")
            part.after_day(self.ctx)
            self.settle()

    def check(self) -> list[DemoRow]:
        self.progress("checking what every peer holds")
        rows = [intake_row(self.hub, self.register)]
        for part in self.parts:
            reasons = self.unsupported.get(part.name, {})
            if self.idle(part):
                rows.extend(DemoRow(name, 0, 0, 0, why, unsupported=why) for name, why in reasons.items())
            else:
                rows.extend(demo_vendor.mark(part.check(self.ctx), reasons))
        if self.vendor_sim is not None:
            rows.append(demo_vendor.register_row(self.hub.peers.register, self.mirrored))
        return rows

    def snapshot(self) -> dict[str, Any]:
        """Every peer's final state, comparable between two runs of the same seed (see `DemoPart.snapshot`)."""
        register = self.register
        with register.state.lock:
            notifications = [(n.appointment_id, n.kind, n.reason) for n in register.state.notifications_sent]
            staffing = [(b.id, b.start.isoformat(), b.end.isoformat(), b.resource_id, b.capacity)
                        for b in register.state.staffing_blocks.values()]
        return {"register.appointments": {a.id: a.model_dump(mode="json") for a in register.appointments()},
                "register.notifications": counted(notifications), "register.staffing": counted(staffing),
                **{part.name: part.snapshot(self.ctx) for part in self.parts}}

    def report(self, rows: list[DemoRow]) -> DemoReport:
        urls = {"hub": f"{self.hub_url}/api/v1", "console": f"{self.hub_url}/console/", "token": self.token,
                "sandbox": self.sandbox.describe(), "database_url": self.settings_data["database_url"],
                "database": self.settings_data["database_url"].removeprefix("sqlite:///"), "log": str(self.log_path),
                "scratch": str(self.scratch)}
        return DemoReport(rows, time.monotonic() - self.t0, self.workdir, urls)


def run_demo(*, seed: int = 20270301, count: int = 200, day: date | None = None, workdir: Path = Path("var/demo"),
             keep_running: bool = False, on_ready: Callable[[DemoReport], None] | None = None,
             timeout: float = 120.0, progress: Progress = _quiet, register: str = "canonical") -> DemoReport:
    """Run the whole demo in this process (the hub's register: `register`) and return its report."""
    with DemoStack(seed=seed, count=count, day=day, workdir=workdir, timeout=timeout, progress=progress,
                   register_vendor=register) as stack:
        stack.before_day()
        stack.play()
        stack.settle()
        stack.after_day()
        report = stack.report(stack.check())
        if keep_running and on_ready is not None:
            on_ready(report)
        return report
