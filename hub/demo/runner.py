"""Run the demo: start the sandbox and the hub, play the scripted day, settle, check every part."""

from __future__ import annotations

import importlib
import pkgutil
import random
import secrets
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
from hub.demo.day import DayPlan, PlannedAppointment, plan_day
from hub.demo.parts import DEMO_PARTS, DemoContext, DemoPart, DemoRow
from hub.logging import configure_logging
from hub.operations import status
from hub.serving import ThreadedServer, bind_tcp
from hub.settings import RetrySettings, Settings
from hub.store.tables import InboxEvent

log = structlog.get_logger("afsprakenhub.demo")


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
                "flows": {r.name: {"expected": r.expected, "observed": r.observed, "dead": r.dead} for r in self.rows}}


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


def _settled(hub: Hub) -> bool:
    snapshot = status(hub)
    open_deliveries = sum(s["pending"] + s["failed"] for s in snapshot["deliveries"].values())
    return snapshot["inbox"]["pending"] == 0 and open_deliveries == 0


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


def run_demo(*, seed: int = 20270301, count: int = 200, day: date | None = None, workdir: Path = Path("var/demo"),
             keep_running: bool = False, on_ready: Callable[[DemoReport], None] | None = None,
             timeout: float = 120.0) -> DemoReport:
    """Run the whole demo in this process and return its report."""
    from hub.api.app import create_app
    from sandbox.register.simulator import RegisterSimulator
    from sandbox.server import SandboxServer

    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    log_path = workdir / "hub.log"
    log_file = log_path.open("w", encoding="utf-8")
    configure_logging("INFO", "json", stream=log_file)

    parts = load_parts()
    token = secrets.token_urlsafe(24)
    hub_sock = bind_tcp()
    hub_url = "http://{}:{}".format(*hub_sock.getsockname()[:2])
    register = RegisterSimulator(seed=seed, hub_url=hub_url, hub_token=token)
    sandbox = SandboxServer(register, *[sim for part in parts for sim in part.simulators(seed)])
    sandbox.start()
    server: ThreadedServer | None = None
    hub: Hub | None = None
    try:
        base: dict[str, Any] = {
            "database_url": f"sqlite:///{db_path}", "broker_url": "stub", "api_tokens": f"demo:{token}",
            "public_url": hub_url, "worker_threads": 2, "log_format": "json",
            "register_api": {"base_url": register.api_url, "token_url": register.token_url,
                             "client_id": register.tokens.client_id, "client_secret": register.tokens.client_secret},
            "retry": RetrySettings(max_attempts=8, base_seconds=0.1, max_seconds=2.0, lease_seconds=60,
                                   sweep_interval_seconds=2.0, sweep_grace_seconds=2.0).model_dump(),
        }
        for part in parts:
            base = deep_merge(base, part.settings(sandbox))
        hub = Hub(Settings(**base), worker_name="demo")
        hub.db.upgrade()
        server = ThreadedServer(create_app(hub, start_runtime=True), hub_sock).start()

        def settle() -> None:
            assert hub is not None
            if not register.emitter.flush(timeout):
                raise RuntimeError("the register's events did not all reach the hub")
            if not wait_until(lambda: _settled(hub), timeout):
                raise RuntimeError(f"the hub did not settle within {timeout:.0f} s: {status(hub)}")

        plan = plan_day(seed, count, day)
        ctx = DemoContext(hub=hub, sandbox=sandbox, register=register, day=plan, rng=random.Random(seed),
                          workdir=workdir, hub_url=hub_url, hub_token=token, settle=settle)
        for part in parts:
            part.before_day(ctx)
        events = play(register, plan)
        log.info("demo.day_played", appointments=len(plan.appointments), events=events)
        settle()
        for part in parts:  # one at a time: each part sees the effects of the ones before it
            part.after_day(ctx)
            settle()
        rows = [intake_row(hub, register)]
        for part in parts:
            rows.extend(part.check(ctx))
        urls = {"hub": f"{hub_url}/api/v1", "token": token, "sandbox": sandbox.describe(),
                "database": str(db_path), "log": str(log_path)}
        report = DemoReport(rows, time.monotonic() - t0, workdir, urls)
        if keep_running and on_ready is not None:
            on_ready(report)
        return report
    finally:
        if server is not None:
            server.stop()
        if hub is not None:
            hub.close()
        sandbox.stop()
        configure_logging("INFO", "auto")
        log_file.close()
