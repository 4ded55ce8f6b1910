"""The demo's `roster` part: a RostarCAS roster that changes twice during the demo, checked each time.

Rows: `roster` — staffing blocks expected from the roster vs present in the register after every change
(v1 and v2 over the JSON endpoint, v3 as a CSV file drop), plus the re-run that must make no register call;
`roster_conflicts` — capacity conflicts found vs planted (appointments booked where v2 takes staff away).
The roster covers two days after the scripted day's reschedule targets, so the day's own bookings stay out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.roster.job import NEEDS as ROSTER_NEEDS
from hub.demo.parts import DemoContext, DemoPart, DemoRow, dead_deliveries, demo_part, scratch_dir
from sandbox.rostarcas.roster import RosterEntry
from sandbox.rostarcas.simulator import RostarcasSimulator
from sandbox.server import SandboxServer

AMS = ZoneInfo("Europe/Amsterdam")
# The demo's own expectation of the mapping (independent of mappings/rostarcas.yaml's code path).
LOCATIONS = {"KP": "LOC-KONINGSPLEIN", "WI": "LOC-WERK-INKOMEN", "MS": "LOC-MILIEUSTRAAT"}
COUNTERS = {("KP", "B1"): "BALIE-1", ("KP", "B2"): "BALIE-2", ("KP", "B3"): "BALIE-3", ("KP", "B4"): "BALIE-4",
            ("WI", "B1"): "WI-BALIE-1", ("MS", "P1"): "MS-POORT-1"}
EMPLOYEES = {"RC-1001": "EMP-001", "RC-1002": "EMP-002", "RC-1003": "EMP-003", "RC-1004": "EMP-004",
             "RC-1005": "EMP-005"}
CAPACITY = {"BALIE-BZ": 1, "BALIE-RB": 1, "BALIE-WI": 1, "MS-POORT": 3, "MS-POORT-SOLO": 1}
BlockKey = tuple[str, datetime, datetime, str, str | None, str, int]


def expected_blocks(entries: list[RosterEntry]) -> set[BlockKey]:
    """The blocks the register should hold for `entries`: bookable, mapped codes only."""
    out: set[BlockKey] = set()
    for e in entries:
        if e.activity not in CAPACITY:
            continue
        start = datetime.combine(e.day, time.fromisoformat(e.start), AMS).astimezone(UTC)
        end = datetime.combine(e.day, time.fromisoformat(e.end), AMS).astimezone(UTC)
        out.add((f"rostarcas-{e.shift_id}", start, end, LOCATIONS[e.location],
                 COUNTERS.get((e.location, e.counter or "")), EMPLOYEES[e.employee_id], CAPACITY[e.activity]))
    return out


def versions(d3: date, d4: date) -> list[list[RosterEntry]]:
    """v1, v2 (shorten, remove, capacity down, move, add) and v3 (re-staff, remove)."""
    v1 = [
        RosterEntry("R1", "RC-1001", d3, "09:00", "17:00", "BALIE-BZ", "KP", "B1"),
        RosterEntry("R2", "RC-1002", d3, "13:00", "17:00", "BALIE-BZ", "KP", "B2"),
        RosterEntry("R3", "RC-1002", d3, "09:00", "12:30", "BALIE-RB", "KP", "B3"),
        RosterEntry("R4", "RC-1005", d3, "09:00", "16:00", "MS-POORT", "MS", "P1"),
        RosterEntry("R5", "RC-1003", d3, "09:00", "17:00", "BALIE-WI", "WI", "B1"),
        RosterEntry("R6", "RC-1001", d4, "09:00", "17:00", "BALIE-BZ", "KP", "B1"),
        RosterEntry("R7", "RC-1005", d4, "09:00", "16:00", "MS-POORT", "MS", "P1"),
        RosterEntry("R8", "RC-1001", d3, "12:00", "12:30", "PAUZE", "KP"),
        RosterEntry("R9", "RC-1002", d4, "09:00", "17:00", "TRAINING", "KP"),
        RosterEntry("R10", "RC-1004", d4, "09:00", "12:00", "BALIE-NIEUW", "KP", "B4"),  # unmapped: reported
    ]
    v2 = [e for e in v1 if e.shift_id != "R2"]
    v2 = [e.moved(end="12:00") if e.shift_id == "R1" else
          e.moved(activity="MS-POORT-SOLO") if e.shift_id == "R4" else
          e.moved(day=d4) if e.shift_id == "R5" else e for e in v2]
    v2.append(RosterEntry("R11", "RC-1004", d4, "09:00", "13:00", "BALIE-BZ", "KP", "B4"))
    v3 = [e for e in v2 if e.shift_id != "R11"]
    v3.append(RosterEntry("R12", "RC-1002", d3, "13:00", "17:00", "BALIE-BZ", "KP", "B1"))
    return [v1, v2, v3]


@dataclass
class Checkpoint:
    label: str
    expected: int
    matching: int
    extra: int


@demo_part
class RosterPart(DemoPart):
    name = "roster"
    register_needs = {"roster": ROSTER_NEEDS, "roster_conflicts": ROSTER_NEEDS}

    def __init__(self) -> None:
        self.sim: RostarcasSimulator | None = None
        self.drop = scratch_dir("demo-rostarcas-drop-")
        self.reports = scratch_dir("demo-roster-reports-")
        self.checkpoints: list[Checkpoint] = []
        self.planted: set[tuple[str, frozenset[str]]] = set()
        self.found: set[tuple[str, frozenset[str]]] = set()
        self.rerun_calls = -1
        self.refused: dict[str, int] = {}
        self.versions: list[list[RosterEntry]] = []

    def simulators(self, seed: int) -> list[Any]:
        self.sim = RostarcasSimulator(seed=seed)
        return [self.sim]

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        return {"rostarcas": {"source": "http", "base_url": sandbox.url("/rostarcas/api/v1"),
                              "folder": str(self.drop), "report_dir": str(self.reports),
                              "retry_base_seconds": 0.1}}

    def _days(self, ctx: DemoContext) -> tuple[date, date]:
        # after the day's reschedule targets (+1, +2 days) and before +7
        return ctx.day.day + timedelta(days=3), ctx.day.day + timedelta(days=4)

    def _book(self, ctx: DemoContext, day: date, at: time, counter: str, location: str, product: str) -> str:
        reg = ctx.register
        start = datetime.combine(day, at, AMS)
        fields = {"status": "booked", "start": start, "end": start + timedelta(minutes=15),
                  "location": reg.catalog.location_ref(location), "products": [reg.catalog.product_ref(product)],
                  "counter": reg.catalog.counter_ref(counter), "channel": "online"}
        return reg.state.create(fields, emit=False).appointment.id  # a booking the other flows need not see

    def before_day(self, ctx: DemoContext) -> None:
        assert self.sim is not None
        d3, d4 = self._days(ctx)
        self.versions = versions(d3, d4)
        self.sim.set_roster(self.versions[0])
        self._apply(ctx, "v1 json", ctx.run_job("roster"))
        # Bookings inside v1's staffing; v2 will take staff away from three of them.
        lost = self._book(ctx, d3, time(14), "BALIE-1", "LOC-KONINGSPLEIN", "PASPOORT-AANVRAAG")
        self._book(ctx, d3, time(10), "BALIE-1", "LOC-KONINGSPLEIN", "PASPOORT-AANVRAAG")  # stays covered
        removed = self._book(ctx, d3, time(15), "BALIE-2", "LOC-KONINGSPLEIN", "ID-KAART-AANVRAAG")
        gate = {self._book(ctx, d3, time(10), "MS-POORT-1", "LOC-MILIEUSTRAAT", "MILIEUSTRAAT-BEZOEK")
                for _ in range(2)}
        self.planted = {("rostarcas-R1", frozenset({lost})), ("rostarcas-R2", frozenset({removed})),
                        ("rostarcas-R4", frozenset(gate))}

    def after_day(self, ctx: DemoContext) -> None:
        from connectors.rostarcas import RostarcasClient
        from flows.roster import sync_roster

        assert self.sim is not None
        self.sim.set_roster(self.versions[1])
        self._apply(ctx, "v2 json", ctx.run_job("roster"))
        self.sim.set_roster(self.versions[2])
        self.sim.drop_csv(self.drop, extra_lines=["R13;RC-1001;not-a-date;09:00;12:00;BALIE-BZ;KP;B2"])
        csv_client = RostarcasClient.from_settings(ctx.hub.settings.rostarcas.model_copy(update={"source": "folder"}))
        self._apply(ctx, "v3 csv", sync_roster(ctx.hub, client=csv_client).as_job_result())
        before = len(self.sim_calls(ctx))
        sync_roster(ctx.hub, client=csv_client)
        self.rerun_calls = len(self.sim_calls(ctx)) - before

    @staticmethod
    def sim_calls(ctx: DemoContext) -> list[Any]:
        return ctx.register.calls.find(path="/api/v1/staffing-blocks*")

    def _apply(self, ctx: DemoContext, label: str, result: Any) -> None:
        """Record the register's staffing against the roster version just published, and the conflicts."""
        index = len(self.checkpoints)
        want = expected_blocks(self.versions[index])
        with ctx.register.state.lock:
            have = {(b.id, b.start.astimezone(UTC), b.end.astimezone(UTC), b.location_id, b.counter_id,
                     b.resource_id, b.capacity) for b in ctx.register.state.staffing_blocks.values()
                    if b.id.startswith("rostarcas-")}
        self.checkpoints.append(Checkpoint(f"{label} {result.outcome}", len(want), len(want & have),
                                           len(have - want)))
        for key in ("unmapped", "malformed"):
            self.refused[key] = self.refused.get(key, 0) + int(result.counts.get(key, 0))
        report = result.counts.get("report")
        if report:
            import json

            items = json.loads(Path(report).read_text(encoding="utf-8"))["items"]
            self.found |= {(i["block_id"], frozenset(i["appointment_ids"])) for i in items}

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        expected = sum(c.expected for c in self.checkpoints)
        extras = sum(c.extra for c in self.checkpoints)
        matching = sum(c.matching for c in self.checkpoints)
        observed = (matching if not extras else expected + extras) + max(self.rerun_calls, 0) \
            + (1 if self.rerun_calls < 0 else 0)
        steps = ", ".join(f"{c.label} {c.matching}/{c.expected}" for c in self.checkpoints)
        detail = (f"{steps}; re-run: {self.rerun_calls} register calls; reported {self.refused.get('unmapped', 0)} "
                  f"unmapped, {self.refused.get('malformed', 0)} malformed rows")
        hits = len(self.found & self.planted)
        wrong = len(self.found - self.planted)
        return [
            DemoRow(self.name, expected, observed, dead_deliveries(ctx.hub, "roster"), detail),
            DemoRow("roster_conflicts", len(self.planted), hits if not wrong else len(self.planted) + wrong, 0,
                    f"{len(self.found)} conflicts reported ({wrong} not planted); report in {self.reports}"),
        ]

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """The roster after every version (matching/extra blocks), conflicts found, the re-run's register calls."""
        return {"checkpoints": [(c.label, c.expected, c.matching, c.extra) for c in self.checkpoints],
                "conflicts": sorted((block, sorted(ids)) for block, ids in self.found),
                "rerun_calls": self.rerun_calls, "refused": dict(sorted(self.refused.items()))}

