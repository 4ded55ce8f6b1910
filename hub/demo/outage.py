"""`afsprakenhub demo --outage PEER`: the demo day with that peer rejecting some records, then down for a while.

The day is played in three parts. Morning: every peer is up. Midday: the peer rejects the records of a few
appointments (400, as a validation rule deployed in a release weekend would), so their deliveries become dead
letters. Afternoon: the peer answers 503 to everything; the breaker opens after a few failures and the rest of
the afternoon's deliveries wait without spending attempts, while every other peer keeps working. Then the peer
comes back: a half-open probe closes the breaker and the waiting deliveries drain. Last, the rule is fixed and
an operator replays the dead letters with a filtered bulk replay (preview first). The usual checks follow: every
peer holds what the day implies and nothing is dead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import func, select

from hub import replay as bulk
from hub.alerts.engine import AlertEngine
from hub.alerts.messages import AlertMessage
from hub.breaker import states
from hub.demo.parts import DemoRow
from hub.demo.runner import DemoReport, DemoStack, Progress, _quiet, play, wait_until
from hub.replay import ReplayFilter
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus

log = structlog.get_logger("afsprakenhub.demo")

#: Peer (connector) name → the sandbox simulator that plays it.
SIMULATORS = {"salesforce": "salesforce", "klantinteracties": "klantinteracties", "outlook": "graph"}
#: Appointments whose records the peer rejects at midday.
REJECTED = 4
#: The demo's breaker: open after 5 failures, probe after 2 s (at most 5 s), so the demo takes seconds, not minutes.
BREAKER = {"failure_threshold": 5, "open_seconds": 2.0, "max_open_seconds": 5.0, "probe_seconds": 10.0,
           "cache_seconds": 0.2, "replay_rates": {}, "replay_rate_per_second": 50.0}


class DemoChannel:
    """The demo's alert channel: each message as a progress line, kept for the report."""

    name = "demo"

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.sent: list[AlertMessage] = []

    def send(self, message: AlertMessage) -> None:
        self.sent.append(message)
        self.progress(f"  alert → {message.subject}")


def _open(stack: DemoStack) -> list[tuple[str | None, str | None]]:
    """(peer, error class) of every open delivery."""
    with stack.hub.db.reading() as s:
        return list(s.execute(select(Delivery.peer, Delivery.error_class)
                              .where(Delivery.status.in_(DeliveryStatus.OPEN))).all())


def _count(stack: DemoStack, *where: Any) -> int:
    with stack.hub.db.reading() as s:
        return s.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0


def _attempts(stack: DemoStack, ids: list[int] | None = None) -> dict[int, int]:
    """Attempts by delivery id: of `ids`, or of every open delivery."""
    where = Delivery.id.in_(ids) if ids is not None else Delivery.status.in_(DeliveryStatus.OPEN)
    with stack.hub.db.reading() as s:
        return {i: n for i, n in s.execute(select(Delivery.id, Delivery.attempts).where(where))}


def _spent_while_open(stack: DemoStack, timeout: float) -> int:
    """Waiting deliveries charged an attempt while the breaker was open: each one's attempts before and after it
    met the open breaker once more (failures before the breaker opened are real calls and count in neither), less
    the half-open probes in between (each a real call)."""
    before, since = _attempts(stack), stack.hub.now()
    with stack.hub.db.reading() as s:
        last_audit = s.scalar(select(func.max(AuditRecord.id))) or 0

    def woken() -> bool:
        return _count(stack, Delivery.id.in_(list(before)), Delivery.status.in_(DeliveryStatus.OPEN),
                      Delivery.updated_at <= since) == 0

    wait_until(woken, timeout)
    after = _attempts(stack, list(before))
    with stack.hub.db.reading() as s:
        probes = s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.id > last_audit, AuditRecord.action == "peer-half-open")) or 0
    grown = sum(after.get(i, n) > n for i, n in before.items())
    return max(0, grown - probes)


def _state(stack: DemoStack, peer: str) -> str:
    return next((s.state for s in states(stack.hub) if s.peer == peer), "closed")


def run_outage_demo(peer: str, *, seed: int = 20270301, count: int = 200, workdir: Path = Path("var/demo"),
                    keep_running: bool = False, on_ready: Callable[[DemoReport], None] | None = None,
                    timeout: float = 120.0, progress: Progress = _quiet) -> DemoReport:
    """Run the outage demo in this process and return its report (the usual rows plus the outage's own)."""
    if peer not in SIMULATORS:
        raise ValueError(f"no outage demo for {peer!r}; choose one of {', '.join(sorted(SIMULATORS))}")
    with DemoStack(seed=seed, count=count, workdir=workdir, timeout=timeout, progress=progress,
                   overrides={"breaker": BREAKER, "alerts": {"enabled": False}}) as stack:
        # The alert checks run at the demo's own moments (below), not on the processes' one-minute loop.
        channel = DemoChannel(progress)
        alerts = AlertEngine(stack.hub, channels=[channel])
        simulator = next(s for s in stack.sandbox.simulators.values() if s.name == SIMULATORS[peer])
        stack.before_day()
        plan = stack.plan
        third = max(1, len(plan.appointments) // 3)
        morning, midday, afternoon = (plan.appointments[:third], plan.appointments[third:2 * third],
                                      plan.appointments[2 * third:])

        progress(f"morning: {len(morning)} appointments, every peer up")
        play(stack.register, dataclasses.replace(plan, appointments=morning))
        stack.settle()

        progress(f"midday: {peer} rejects the records of {REJECTED} appointments (a new validation rule, 400)")
        stack.register.emitter.pause()  # the day's midday events wait in the register's outbox …
        play(stack.register, dataclasses.replace(plan, appointments=midday))
        rejected = [p.appointment_id for p in midday[:REJECTED] if p.appointment_id]
        simulator.set_faults(reject_matching=rejected, reject_status=400)  # … until the rule is in place
        stack.register.emitter.resume()
        stack.settle()
        dead_midday = _count(stack, Delivery.status == DeliveryStatus.DEAD, Delivery.peer == peer)
        progress(f"  {dead_midday} dead letters from {peer}")

        progress(f"afternoon: {peer} is down (503 to every call) for {len(afternoon)} appointments")
        simulator.set_faults(error_rate=1.0, error_status=503)
        play(stack.register, dataclasses.replace(plan, appointments=afternoon))
        stack.register.emitter.flush(timeout)
        opened = wait_until(lambda: _state(stack, peer) in ("open", "half_open"), timeout)

        def only_waiting() -> bool:
            found = _open(stack)
            return bool(found) and all(p == peer for p, _ in found)

        wait_until(only_waiting, timeout)
        waiting = len(_open(stack))
        attempts_while_open = _spent_while_open(stack, timeout)
        progress(f"  breaker {_state(stack, peer)}: {waiting} deliveries waiting for {peer}, every other peer done")
        alerts.check()  # "Storing: koppeling met <peer> staat open" to the functional administrators

        progress(f"{peer} is back: the breaker probes it, closes, and the waiting deliveries drain")
        simulator.set_faults(error_rate=0.0)
        stack.settle()
        closed = wait_until(lambda: _state(stack, peer) == "closed", timeout)
        alerts.check()  # "Opgelost: …"

        progress(f"the rule is fixed: replay the dead letters of {peer} (preview, then a paced bulk run)")
        simulator.set_faults(reject_matching=[])
        chosen = ReplayFilter(peer=peer, error_contains="400")
        preview = bulk.preview(stack.hub, chosen, sample=3)
        progress(f"  preview: {preview.count} deliveries ({', '.join(f'{f}: {n}' for f, n in preview.byFlow.items())})")
        run = bulk.start(stack.hub, chosen, "demo")
        result = bulk.run(stack.hub, run.id, rate=stack.hub.settings.breaker.rate_for(peer))
        stack.settle()
        still_dead = _count(stack, Delivery.status == DeliveryStatus.DEAD, Delivery.peer == peer)
        progress(f"  replayed {result.replayedNow}; dead letters of {peer} left: {still_dead}")

        stack.after_day()
        with stack.hub.db.reading() as s:
            transitions = list(s.scalars(select(AuditRecord.action).where(AuditRecord.action.startswith("peer-"))
                                         .order_by(AuditRecord.id)))
        rows = stack.check()
        rows += [
            DemoRow(f"outage {peer}: breaker opened, probed, closed", 3,
                    sum(a in transitions for a in ("peer-open", "peer-half-open", "peer-close"))
                    if opened and closed else 0,
                    detail=" → ".join(a.removeprefix("peer-") for a in transitions)),
            DemoRow(f"outage {peer}: waited without spending attempts", waiting, waiting - attempts_while_open,
                    detail=f"{waiting} deliveries waited while {peer} was down"),
            DemoRow(f"outage {peer}: alert sent, then resolved", 2,
                    sum(m.key == f"peer-open:{peer}" and m.status in ("firing", "resolved") for m in channel.sent),
                    detail="; ".join(m.subject for m in channel.sent if m.key == f"peer-open:{peer}")),
            DemoRow(f"outage {peer}: dead letters replayed", dead_midday, result.replayedNow, still_dead,
                    detail=f"run {run.id}: {peer} rejected {REJECTED} appointments' records at midday"),
        ]
        report = stack.report(rows)
        if keep_running and on_ready is not None:
            on_ready(report)
        return report
