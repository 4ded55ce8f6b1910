"""The chaos run: the demo's day with faulty peers, duplicated and shuffled events, a worker killed mid-run.

`run_oracle` plays the same seed fault-free (the demo as it is); `run_chaos` plays it with every peer
injecting transient faults, the register sending 30 % of its events twice in shuffled order, the hub in
separate processes of which one is SIGKILLed mid-run and restarted, and a few planted permanent errors
that are replayed once their cause is gone. Both return the peers' final snapshot; the chaos run also
the figures and what the privacy scan needs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from hub import operations
from hub.demo.runner import DemoStack, wait_until
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent
from sandbox.faults import Faults
from tests.chaos.processes import HubProcesses

#: About one call in five goes wrong: 503, 429 with Retry-After, a dropped connection, a client timeout.
CHAOS_FAULTS = Faults(error_rate=0.07, error_status=503, throttle_rate=0.06, retry_after_s=1, drop_rate=0.06,
                      stall_rate=0.03, stall_ms=1500)
#: Client timeout of every HTTP connector in the chaos run (below `stall_ms`, so a stall is a timeout).
CONNECTOR_TIMEOUT_S = 1.0
#: Simulators (by prefix) that stay well-behaved: the JCC conversion is a one-off migration, not a hub flow; a BRP
#: outage changes the outcome by design (a self-declared BSN stays unverified: review instead of a link), so the
#: oracle could not be equal (tests/integration/test_customer_identity.py covers BRP outages).
CALM = ("/jcc", "/register-migration", "/brp")

#: Figures of the chaos runs in this pytest session; tests/chaos/conftest.py prints them in the terminal summary.
FIGURES: list[dict[str, Any]] = []
#: The peer where the run plants permanent errors (400 for every write about a planted appointment).
PLANT_PEER = "salesforce"
PLANT_FLOW = "contact_moments"


@dataclass
class ChaosSpec:
    seed: int = 20270301
    count: int = 200
    workers: int = 0  # 0: `serve` runs the workers (stub broker); else that many `worker` processes
    overrides: dict[str, Any] = field(default_factory=dict)
    duplicate_rate: float = 0.3
    planted: int = 3
    timeout: float = 600.0


@dataclass
class ChaosResult:
    snapshot: dict[str, Any]
    figures: dict[str, Any]
    planted: list[str]
    dead_before_replay: list[tuple[str, str | None]]
    open_at_end: int
    dead_at_end: int
    lost_events: int
    recovered: dict[str, Any]
    texts: list[tuple[str, str]]  # (where, text) for the privacy scan
    plan: Any


def chaos_overrides() -> dict[str, Any]:
    """Short leases and sweeps (the killed worker's deliveries come back quickly), patient retries, short timeouts,
    short breaker openings."""
    timeout = {"timeout_seconds": CONNECTOR_TIMEOUT_S}
    return {
        "retry": {"max_attempts": 40, "base_seconds": 0.05, "max_seconds": 1.0, "lease_seconds": 8.0,
                  "sweep_interval_seconds": 1.0, "sweep_grace_seconds": 1.0},
        "worker_threads": 4,
        # A peer the faults open is probed after seconds, as the retries above are scaled down: with the production
        # timing (30 s, doubled per failed probe up to 600 s) a few unlucky probes outlast the settle budget of the
        # run. tests/integration/test_breaker.py covers the timing itself.
        "breaker": {"open_seconds": 5.0, "max_open_seconds": 40.0},
        **{peer: timeout for peer in ("salesforce", "outlook", "tip", "zgw", "register_api")},
        # A create cut off by a dropped connection never lands here: its delivery waits this long, not 60 s.
        "klantinteracties": {**timeout, "unanswered_write_window_seconds": 15.0},
    }


def run_oracle(seed: int, count: int, workdir: Path, timeout: float = 600.0) -> dict[str, Any]:
    """The same day fault-free, the demo's own way; every demo row must be ok."""
    with DemoStack(seed=seed, count=count, workdir=workdir, timeout=timeout) as stack:
        stack.before_day()
        stack.play()
        stack.settle()
        stack.after_day()
        rows = stack.check()
        bad = [r for r in rows if not r.ok]
        if bad:
            raise AssertionError(f"the fault-free oracle run is not ok: {bad}")
        return stack.snapshot()


def _deliveries(stack: DemoStack) -> list[tuple[int, str, str, int, str | None, datetime | None]]:
    with stack.hub.db.unit_of_work() as s:
        rows = s.execute(select(Delivery.id, Delivery.flow, Delivery.status, Delivery.attempts, InboxEvent.subject,
                                Delivery.leased_until).join(InboxEvent, InboxEvent.id == Delivery.inbox_id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _kill_mid_run(stack: DemoStack, procs: HubProcesses) -> dict[str, Any]:
    """Once some deliveries succeeded and some are leased, SIGKILL the worker process and restart it."""
    state: dict[str, Any] = {}

    def busy() -> bool:
        now = datetime.now(UTC)
        rows = _deliveries(stack)
        done = sum(r[2] == DeliveryStatus.SUCCEEDED for r in rows)
        leased = [r[0] for r in rows if r[2] in DeliveryStatus.OPEN and r[5] is not None and r[5] > now]
        state.update(done=done, leased=leased)
        return done >= 20 and len(leased) >= 2

    if not wait_until(busy, 120, interval=0.02):
        raise AssertionError(f"never saw deliveries in flight to kill: {state}")
    code = procs.kill()
    procs.restart()
    return {"exit": code, "succeeded_before": state["done"], "leased_at_kill": state["leased"]}


def _poison(stack: DemoStack, count: int) -> list[str]:
    """Plant permanent errors: the peer refuses (400) every write about `count` chosen appointments."""
    rng = random.Random(stack.seed + 404)
    candidates = [p.appointment_id for p in stack.plan.appointments
                  if p.appointment_id and not p.anonymous and p.scenario == "visited"]
    planted = sorted(rng.sample(candidates, count))
    sim = next(s for s in stack.sandbox.simulators.values() if s.name == PLANT_PEER)
    sim.set_faults(reject_matching=[f"/{aid}%3A" for aid in planted])  # the upsert path's external id
    return planted


def run_chaos(spec: ChaosSpec, workdir: Path, oracle: dict[str, Any]) -> ChaosResult:
    """The chaos run (see the module docstring); raises if the hub does not settle. Duplicates are counted
    against the `oracle` snapshot (a register may hold two alike notifications by itself)."""
    procs = HubProcesses(workdir, workers=spec.workers)
    overrides = {**chaos_overrides(), **spec.overrides}
    with DemoStack(seed=spec.seed, count=spec.count, workdir=workdir, timeout=spec.timeout, overrides=overrides,
                   launcher=procs.launcher, log_level="DEBUG") as stack:
        stack.ctx.job_attempts = 25
        emitter = stack.register.emitter
        emitter.duplicate_rate, emitter.shuffle, emitter.max_attempts = spec.duplicate_rate, True, 60
        faulty = [s for s in stack.sandbox.simulators.values() if s.prefix not in CALM]
        for sim in faulty:
            sim.set_faults(CHAOS_FAULTS)
            sim.injector.reset_counts()
        stack.before_day()
        emitter.pause()  # the whole day waits in the outbox, so the planted errors are in place and it shuffles
        stack.play()
        planted = _poison(stack, spec.planted)
        emitter.resume()
        recovered = _kill_mid_run(stack, procs)
        stack.settle()
        stack.after_day()
        rows = _deliveries(stack)
        dead = [(r[1], r[4]) for r in rows if r[2] == DeliveryStatus.DEAD]
        dead_reasons = [(f"dead letter {d.id}", d.lastError or "")
                        for d in operations.list_deliveries(stack.hub, status_=DeliveryStatus.DEAD, limit=100000)]
        retries_before = sum(max(r[3] - 1, 0) for r in rows if r[2] == DeliveryStatus.DEAD)
        # The planted cause is removed; the dead letters are replayed and must drain.
        next(s for s in faulty if s.name == PLANT_PEER).set_faults(reject_matching=[])
        replayed = operations.replay_matching(stack.hub, flow=None, status_=DeliveryStatus.DEAD, actor="chaos-test")
        stack.settle()
        rows = _deliveries(stack)
        leased_ids = set(recovered["leased_at_kill"])
        recovered["leased_then"] = {st: sum(1 for r in rows if r[0] in leased_ids and r[2] == st)
                                    for st in DeliveryStatus.ALL}
        snapshot = stack.snapshot()
        emitted = {(e.source, e.id) for e in stack.register.emitted}
        with stack.hub.db.unit_of_work() as s:
            stored = list(s.execute(select(InboxEvent.source, InboxEvent.event_id)))
            audit = [repr(tuple(a)) for a in s.execute(select(AuditRecord))]
            inbox_total = s.scalar(select(func.count()).select_from(InboxEvent)) or 0
        stored_keys = {(a, b) for a, b in stored}
        lost_events = len(emitted - stored_keys)
        stats = emitter.stats()
        faults = {sim.name: sim.injector.counts() for sim in faulty}
        faults = {k: v for k, v in faults.items() if v}
        calls = sum(len(sim.calls.all()) for sim in faulty)
        injected = sum(sum(v.values()) for v in faults.values())
        figures = {
            "backend": "postgres+redis" if spec.workers else "sqlite+stub",
            "appointments": spec.count, "events": len(stack.register.emitted), "duplicatesSent": stats.duplicated,
            "inboxStored": inbox_total, "deliveries": len(rows),
            "peerCalls": calls, "faultsInjected": injected, "faultRate": round(injected / max(calls, 1), 3),
            "faultsByPeer": faults,
            "retries": sum(max(r[3] - 1, 0) for r in rows) + retries_before, "emitterRetries": stats.retried,
            "workerKilled": procs.victim, "killExit": recovered["exit"],
            "leasedAtKill": len(leased_ids), "deadPlanted": len(dead), "replayed": len(replayed),
            "lost": lost_events + sum(r[2] in (*DeliveryStatus.OPEN, DeliveryStatus.DEAD) for r in rows),
            "duplicatesCreated": duplicates_created(snapshot, oracle) + (len(stored) - len(stored_keys)),
        }
        texts = [*((f"log {name}", text) for name, text in procs.logs().items()), *dead_reasons,
                 *((f"deliveries.last_error {d.id}", d.lastError or "")
                   for d in operations.list_deliveries(stack.hub, limit=100000) if d.lastError),
                 ("audit", "\n".join(audit)), ("metrics", _metrics(procs.url, stack.token))]
        return ChaosResult(snapshot=snapshot, figures=figures, planted=planted, dead_before_replay=dead,
                           open_at_end=sum(r[2] in DeliveryStatus.OPEN for r in rows),
                           dead_at_end=sum(r[2] == DeliveryStatus.DEAD for r in rows), lost_events=lost_events,
                           recovered=recovered, texts=texts, plan=stack.plan)


def _metrics(url: str, token: str) -> str:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    return response.text


def duplicates_created(snapshot: dict[str, Any], oracle: dict[str, Any]) -> int:
    """Extra copies of one thing at a peer: in every map of counts (`counted`), what the chaos run has more
    of than the fault-free run."""
    extra = 0

    def walk(value: Any, baseline: Any) -> None:
        nonlocal extra
        if not isinstance(value, dict):
            return
        base = baseline if isinstance(baseline, dict) else {}
        if value and all(isinstance(n, int) and not isinstance(n, bool) for n in value.values()):
            extra += sum(max(n - max(int(base.get(k, 0) or 0), 1), 0) for k, n in value.items())
            return
        for k, v in value.items():
            walk(v, base.get(k))

    walk(snapshot, oracle)
    return extra


def differences(oracle: dict[str, Any], chaos: dict[str, Any], path: str = "") -> list[str]:
    """Where two snapshots differ, by key path only (values may hold personal data)."""
    if isinstance(oracle, dict) and isinstance(chaos, dict):
        out: list[str] = []
        for key in sorted(set(oracle) | set(chaos), key=str):
            where = f"{path}/{key}"
            if key not in oracle or key not in chaos:
                out.append(f"{where}: only in {'chaos' if key in chaos else 'oracle'}")
            else:
                out.extend(differences(oracle[key], chaos[key], where))
        return out
    return [] if oracle == chaos else [f"{path}: differs"]
