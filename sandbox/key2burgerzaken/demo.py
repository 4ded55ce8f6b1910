"""The demo's pick-up readiness part: Key2Burgerzaken documents that change through the day, TIP receiving.

Before the day: documents for the day's pick-up customers (most ready, some still applied for) plus a few
ready for over 60 days; `sync pickups` runs. The register's day books the pick-ups (those for documents not
ready are flagged). After the day: some documents are handed out, some lapse, the pending ones become ready;
`sync pickups` runs twice (the second run must change nothing). Then every effect is counted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flows.pickup_readiness.config import CANCEL_USES, COMPLETE_USES
from hub.demo.day import fake_bsn
from hub.demo.parts import DemoContext, DemoPart, DemoRow, comparable, counted, dead_deliveries, demo_part, scratch_dir
from hub.model import AppointmentStatus
from mappings.key2burgerzaken import ELIGIBLE, LAPSED, READY, REMINDER, RESCHEDULE
from sandbox.key2burgerzaken.fixture import Key2BurgerzakenFixture
from sandbox.server import SandboxServer
from sandbox.tip.receiver import TipReceiver

FLOW = "pickup_readiness"
PICKUP_TYPES = {"REISDOCUMENT-UITREIKING": ("PN", "NI"), "RIJBEWIJS-UITREIKING": ("RB",)}
OPEN_SCENARIOS = ("booked", "rescheduled", "reassigned")
#: Roles of pick-ups whose appointment stays open, in turn.
ROLES = ("handout", "not-ready", "lapse", "keep")
READY_STATUS, APPLIED, HANDED_OUT, LAPSED_STATUS = "GEREED VOOR UITREIKING", "AANGEVRAAGD", "UITGEREIKT", "VERVALLEN"


@dataclass
class Pickup:
    application_number: str
    document_number: str
    role: str
    appointment_key: str | None = None


@dataclass
class Plan:
    pickups: list[Pickup] = field(default_factory=list)
    reminders: list[Pickup] = field(default_factory=list)

    def role(self, role: str) -> list[Pickup]:
        return [p for p in self.pickups if p.role == role]


def document_number(rng: random.Random, doc_type: str) -> str:
    if doc_type == "RB":
        return str(rng.randrange(10**9, 10**10))
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    return rng.choice("NBI") + "".join(rng.choice(alphabet) for _ in range(8))


@demo_part
class PickupReadinessPart(DemoPart):
    name = FLOW
    register_needs = {f"{FLOW}: completion": COMPLETE_USES, f"{FLOW}: lapse": CANCEL_USES}

    def __init__(self) -> None:
        self.tip: TipReceiver | None = None
        self.fixture: Key2BurgerzakenFixture | None = None
        self.plan = Plan()
        self.second_run: dict[str, Any] = {}

    def simulators(self, seed: int) -> list[Any]:
        self.tip = TipReceiver(seed=seed)
        return [self.tip]

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        assert self.tip is not None
        path = scratch_dir("afsprakenhub-k2b-") / "key2burgerzaken.db"
        self.fixture = Key2BurgerzakenFixture(path)
        return {"key2burgerzaken": self.fixture.settings(),
                "tip": {"events_url": self.tip.events_url, "secret": self.tip.secret}}

    def before_day(self, ctx: DemoContext) -> None:
        assert self.fixture is not None
        rng = random.Random(ctx.day.seed + 9)
        now = ctx.hub.now()
        seen: set[str] = set()
        turn = 0
        for p in ctx.day.appointments:
            codes = [c for c in p.products if c in PICKUP_TYPES]
            bsn = (p.customer or {}).get("bsn")
            if not codes or not bsn or bsn in seen:
                continue
            seen.add(bsn)
            if p.scenario in OPEN_SCENARIOS:
                role, turn = ROLES[turn % len(ROLES)], turn + 1
            else:
                role = "ready-other"
            doc_type = rng.choice(PICKUP_TYPES[codes[0]])
            pickup = Pickup(f"K2B-{ctx.day.seed}-{p.key}", document_number(rng, doc_type), role, p.key)
            status = APPLIED if role == "not-ready" else READY_STATUS
            self.fixture.add(pickup.application_number, document_type=doc_type, document_number=pickup.document_number,
                             bsn=bsn, status=status, at=now - timedelta(days=rng.randrange(1, 10)))
            self.plan.pickups.append(pickup)
        for i in range(3):  # ready for 61 days and never collected: one reminder each
            pickup = Pickup(f"K2B-{ctx.day.seed}-R{i}", document_number(rng, "PN"), "reminder")
            self.fixture.add(pickup.application_number, document_type="PN", document_number=pickup.document_number,
                             bsn=fake_bsn(rng), status=READY_STATUS, at=now - timedelta(days=61, hours=i))
            self.plan.reminders.append(pickup)
        # Past the three-month window (destroyed): no message at all.
        self.fixture.add(f"K2B-{ctx.day.seed}-OLD", document_type="NI", document_number=document_number(rng, "NI"),
                         bsn=fake_bsn(rng), status=READY_STATUS, at=now - timedelta(days=100))
        ctx.run_job("pickups")

    def after_day(self, ctx: DemoContext) -> None:
        assert self.fixture is not None
        now = ctx.hub.now()
        changes = {"handout": HANDED_OUT, "ready-other": HANDED_OUT, "lapse": LAPSED_STATUS, "not-ready": READY_STATUS}
        for p in self.plan.pickups:
            if p.role in changes:
                self.fixture.set_status(p.application_number, changes[p.role], now)
        ctx.run_job("pickups")
        ctx.settle()
        self.second_run = dict(ctx.run_job("pickups").counts)

    # -- check ----------------------------------------------------------------------------------
    def check(self, ctx: DemoContext) -> list[DemoRow]:
        assert self.tip is not None
        tip, plan, register = self.tip, self.plan, ctx.register
        by_key = {p.key: p.appointment_id or "" for p in ctx.day.appointments}
        dead = dead_deliveries(ctx.hub, FLOW)

        def subjects(type_: str) -> list[str]:
            return [e.subject or "" for e in tip.of_type(type_)]

        def status_of(p: Pickup) -> AppointmentStatus | None:
            appointment_id = by_key.get(p.appointment_key or "")
            return register.get(appointment_id).status if appointment_id else None

        ready_docs = [p.application_number for p in plan.pickups if p.role != "reminder"]
        reminders = [p.application_number for p in plan.reminders]
        completed = [p for p in plan.role("handout") if status_of(p) is AppointmentStatus.COMPLETED]
        lapsed_ids = set(subjects(LAPSED))
        lapsed = [p for p in plan.role("lapse") if status_of(p) is AppointmentStatus.CANCELLED
                  and p.application_number in lapsed_ids
                  and not register.notifications_for(by_key[p.appointment_key or ""])]
        flagged = {e.data["appointmentId"] for e in tip.of_type(RESCHEDULE)}
        bodies = tip.bodies()
        leaked = [p for p in [*plan.pickups, *plan.reminders] if any(p.document_number in b for b in bodies)]
        rerun = {k: v for k, v in self.second_run.items() if k in ("access", "ready", "reminder", "complete", "lapse")}
        return [
            DemoRow(f"{FLOW}: ready", len(ready_docs), len(set(subjects(READY)) & set(ready_docs)), dead,
                    detail=f"{len(tip.of_type(READY))} gereed events"),
            DemoRow(f"{FLOW}: booking access", len(ready_docs) + len(reminders), len(tip.of_type(ELIGIBLE)), dead,
                    detail="uitreiking.toegestaan (eligibility)"),
            DemoRow(f"{FLOW}: reschedule", len(plan.role("not-ready")),
                    len(flagged & {by_key[p.appointment_key or ""] for p in plan.role("not-ready")}), dead,
                    detail=f"{len(flagged)} pick-ups flagged in all"),
            DemoRow(f"{FLOW}: completion", len(plan.role("handout")), len(completed), dead,
                    detail="pick-up completed on hand-out"),
            DemoRow(f"{FLOW}: reminder", len(reminders), len(set(subjects(REMINDER)) & set(reminders)), dead,
                    detail=f"{len(tip.of_type(REMINDER))} herinnering events"),
            DemoRow(f"{FLOW}: lapse", len(plan.role("lapse")), len(lapsed), dead,
                    detail="cancelled without customer notification, vervallen event"),
            DemoRow(f"{FLOW}: privacy and idempotency", len(bodies), len(bodies) - len(leaked) - sum(rerun.values()),
                    dead, detail=f"{len(tip.rejected)} bad signatures, {tip.duplicates} repeats dropped; "
                                 f"second run effects {rerun or 'none'}"),
        ]

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """Pick-up effects: TIP events by type and subject (each once), with their data; the re-run's counts."""
        assert self.tip is not None
        clock = frozenset({"time", "occurredAt", "statusDate"})
        # The one "reschedule" flag per pick-up carries the start of the snapshot that raised it, which depends on
        # the order the appointment's events arrive in (a reschedule may overtake the booking).
        trigger = clock | {"appointmentStart"}
        data: dict[str, list[Any]] = {}
        for e in self.tip.events:
            data.setdefault(f"{e.type} {e.subject}", []).append(comparable(e.data, trigger if e.type == RESCHEDULE
                                                                           else clock))
        return {"tip.count": counted((e.type, e.subject) for e in self.tip.events),
                "tip.data": {k: v[0] if len(v) == 1 else sorted(v, key=repr) for k, v in sorted(data.items())},
                "second_run": {k: v for k, v in self.second_run.items() if k != "report"}}

