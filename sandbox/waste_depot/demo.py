"""The demo's waste-depot part: appointments with QR codes, a pass list with a void and an exhausted pass,
and a sandbox gate that scans before, inside and after the window, each twice.

Before the day: the part adds its appointments to the day's plan (anonymous, at the milieustraat), so the
register books them and the hub keeps them from the events. After the day: the pass list job and the
register read run, then the gate scans on the demo day's clock. Checked: every scan's reason, exactly one
visit checked in at the register (retries and a second gate make no second one), nothing dead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flows.waste_depot.codes import signed_code
from flows.waste_depot.visit import NEEDS as VISIT_NEEDS
from hub.demo.day import PlannedAppointment
from hub.demo.parts import DemoContext, DemoPart, DemoRow, dead_deliveries, demo_part, scratch_dir
from hub.model import AppointmentStatus
from sandbox.server import SandboxServer
from sandbox.waste_depot.gate import SandboxGate

AMS = ZoneInfo("Europe/Amsterdam")
LOCATION = "LOC-MILIEUSTRAAT"
GATES = {"MS-POORT-1": LOCATION, "MS-POORT-2": LOCATION}
PASSES = ("pasnummer;status;bezoeken\nMP-DEMO-0001;geldig;2\nMP-DEMO-0002;geldig;0\n"
          "MP-DEMO-VOID;vervallen;0\nMP-DEMO-FULL;geldig;10\n")


@dataclass(frozen=True)
class Scan:
    appointment: str | None  # key of the part's appointment; None: a code nobody booked
    at: time
    gate: str
    pass_number: str | None
    expected: str


#: (key, start, actions) of the part's appointments on the demo day.
APPOINTMENTS = (("WD-VISIT", time(10, 0), ()), ("WD-LATE", time(8, 30), ()), ("WD-VOID", time(10, 0), ()),
                ("WD-FULL", time(10, 0), ()), ("WD-CANCELLED", time(10, 0), ("cancel",)))
SCANS = (
    Scan("WD-VISIT", time(7, 30), "MS-POORT-1", "MP-DEMO-0001", "too-early"),
    Scan("WD-VISIT", time(7, 31), "MS-POORT-1", "MP-DEMO-0001", "too-early"),
    Scan("WD-VISIT", time(10, 5), "MS-POORT-1", "MP-DEMO-0001", "ok"),
    Scan("WD-VISIT", time(10, 5, 30), "MS-POORT-1", "MP-DEMO-0001", "ok"),  # the gate retries: same allow
    Scan("WD-VISIT", time(10, 20), "MS-POORT-2", "MP-DEMO-0001", "already-used"),
    Scan("WD-VISIT", time(10, 21), "MS-POORT-1", "MP-DEMO-0001", "already-used"),
    Scan("WD-LATE", time(11, 0), "MS-POORT-1", "MP-DEMO-0002", "too-late"),
    Scan("WD-LATE", time(11, 1), "MS-POORT-1", "MP-DEMO-0002", "too-late"),
    Scan("WD-VOID", time(10, 10), "MS-POORT-1", "MP-DEMO-VOID", "pass-void"),
    Scan("WD-VOID", time(10, 11), "MS-POORT-1", "MP-DEMO-VOID", "pass-void"),
    Scan("WD-FULL", time(10, 10), "MS-POORT-2", "MP-DEMO-FULL", "pass-no-credit"),
    Scan("WD-FULL", time(10, 11), "MS-POORT-2", "MP-DEMO-FULL", "pass-no-credit"),
    Scan("WD-CANCELLED", time(10, 10), "MS-POORT-1", "MP-DEMO-0002", "cancelled"),
    Scan("WD-CANCELLED", time(10, 11), "MS-POORT-1", "MP-DEMO-0002", "cancelled"),
    Scan(None, time(10, 12), "MS-POORT-1", "MP-DEMO-0002", "unknown-code"),
)
GATE_TOKENS = ",".join(f"{gate}:sandbox-gate-token-{gate.lower()}" for gate in GATES)
SIGNING_KEY = "sandbox-waste-depot-demo-key"


@demo_part
class WasteDepotPart(DemoPart):
    name = "waste_depot"
    register_needs = {"waste_depot/visits": VISIT_NEEDS}

    def __init__(self) -> None:
        self.folder = scratch_dir("demo-waste-depot-passes-")
        self.results: list[tuple[str, str, str]] = []  # (appointment key, expected, observed)
        self.planned: dict[str, PlannedAppointment] = {}

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        (self.folder / "milieupassen_20270101T060000.csv").write_text(PASSES, encoding="utf-8")
        return {"waste_depot": {"locations": [LOCATION], "gates": GATES, "gate_tokens": GATE_TOKENS,
                                "signing_key": SIGNING_KEY,
                                "passes": {"source": "folder", "folder": str(self.folder)}}}

    def before_day(self, ctx: DemoContext) -> None:
        for key, start, actions in APPOINTMENTS:
            plan = PlannedAppointment(
                key=key, scenario="waste-depot-gate", actions=actions,
                start=datetime.combine(ctx.day.day, start, AMS), location=LOCATION,
                department="Afval en Grondstoffen", products=("MILIEUSTRAAT-BEZOEK",), channel="online",
                customer=None, employee=None, room=None, counter=None, case_reference=None, group_size=1)
            ctx.day.appointments.append(plan)
            self.planned[key] = plan

    def after_day(self, ctx: DemoContext) -> None:
        ctx.run_job("waste-depot-passes")
        ctx.run_job("waste-depot-bookings")
        gate = SandboxGate(ctx.hub)
        for scan in SCANS:
            plan = self.planned.get(scan.appointment or "")
            code = signed_code(SIGNING_KEY, plan.appointment_id) if plan and plan.appointment_id \
                else "MS1-NOBODYBOOKEDTHIS"
            answer = gate.scan(datetime.combine(ctx.day.day, scan.at, AMS), code, scan.gate, scan.pass_number)
            self.results.append((scan.appointment or "-", scan.expected, answer.reason))

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        matched = sum(expected == observed for _, expected, observed in self.results)
        wrong = [f"{key}: {observed} (expected {expected})" for key, expected, observed in self.results
                 if expected != observed]
        visit = self.planned["WD-VISIT"].appointment_id
        checked_in = [a.id for a in ctx.register.appointments()
                      if a.id in {p.appointment_id for p in self.planned.values()}
                      and a.status == AppointmentStatus.CHECKED_IN]
        events = [e for e in ctx.register.emitted if e.subject == visit and e.type.endswith(".checked_in")]
        return [
            DemoRow("waste_depot/gate", len(SCANS), matched, dead_deliveries(ctx.hub, "waste_depot_bookings"),
                    detail="; ".join(wrong) or "before, inside and after the window, twice; void and "
                                                "exhausted passes; a retry and a second gate"),
            DemoRow("waste_depot/visits", 1, len(checked_in) if checked_in == [visit] and len(events) == 1 else 0,
                    dead_deliveries(ctx.hub, "waste_depot_visit"),
                    detail=f"checked in at the register: {len(checked_in)}, checked_in events: {len(events)}"),
        ]

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        return {"scans": [f"{key}:{observed}" for key, _, observed in self.results]}
