"""Demo part `calendars`: every employee and room calendar holds exactly its events; busy time → register blocks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from flows.calendars.busy import BLOCK_SOURCE
from flows.calendars.placement import Placement, link_peer
from hub.demo.parts import DemoContext, DemoPart, DemoRow, counted, dead_deliveries, demo_part
from hub.model import Appointment, AppointmentStatus
from hub.ports.capabilities import Capability
from mappings.outlook import ENDED, KINDS, mailbox_for
from sandbox.framework import Simulator
from sandbox.graph.simulator import GraphSimulator
from sandbox.register.seed import EMPLOYEES
from sandbox.server import SandboxServer

#: Bookable employees in the demo (W&I client manager and ZVH); their Outlook meetings block bookings.
BOOKABLE = ("EMP-003", "EMP-004")
SYNC_DAYS = 21


@demo_part
class CalendarsPart(DemoPart):
    name = "calendars"
    register_needs = {"calendars_reverse": frozenset({Capability.UNAVAILABILITY_BLOCKS})}

    def __init__(self) -> None:
        self.graph: GraphSimulator | None = None

    def simulators(self, seed: int) -> list[Simulator]:
        self.graph = GraphSimulator(seed=seed)
        return [self.graph]

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        assert self.graph is not None
        mailboxes = {e.id: e.upn for e in EMPLOYEES if e.id in BOOKABLE}
        return {"outlook": self.graph.settings(bookable_employees=mailboxes, sync_days=SYNC_DAYS)}

    def _mailboxes(self) -> list[str]:
        return [e.upn for e in EMPLOYEES if e.id in BOOKABLE]

    def before_day(self, ctx: DemoContext) -> None:
        """Meetings the employees made in Outlook themselves: busy, out of office, free and tentative."""
        assert self.graph is not None
        base = datetime.combine(ctx.day.day, datetime.min.time(), UTC)
        for n, mailbox in enumerate(self._mailboxes()):
            for d, (hour, hours, show_as) in enumerate(((7, 1, "busy"), (12, 2, "oof"), (14, 1, "free"),
                                                        (15, 1, "tentative"))):
                start = base + timedelta(days=d - 2 + n, hours=hour)
                self.graph.add_event(mailbox, start, start + timedelta(hours=hours), show_as=show_as)

    def after_day(self, ctx: DemoContext) -> None:
        """Sync, then move one meeting and drop another, and sync again (update and delete in the diff)."""
        assert self.graph is not None
        ctx.run_job("calendars")
        own = [e for m in self._mailboxes() for e in self.graph.events(m) if not e.body.get("transactionId")]
        own.sort(key=lambda e: (e.mailbox, e.start))
        self.graph.move_event(own[0].id, own[0].start + timedelta(hours=1), own[0].end + timedelta(hours=1))
        self.graph.remove_event(own[1].id)
        ctx.run_job("calendars")

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        assert self.graph is not None
        return [self._forward(ctx), self._reverse(ctx)]

    def _forward(self, ctx: DemoContext) -> DemoRow:
        """Per calendar: the events the hub should have placed (right mailbox, right times) vs present."""
        assert self.graph is not None
        expected: Counter[str] = Counter()
        found = 0
        wanted_ids: set[str] = set()
        # A close by the hub (zaak closure) emits no event and leaves the calendars as they were, so each
        # appointment is judged by the last snapshot the register sent.
        last_sent = {e.subject: Appointment.model_validate(e.data) for e in ctx.register.emitted}
        for current in ctx.register.appointments():
            appointment = last_sent.get(current.id, current)
            if appointment.status in ENDED:
                continue
            for kind in KINDS:
                mailbox = mailbox_for(appointment, kind)
                if mailbox is None:
                    continue
                expected[mailbox] += 1
                link = ctx.hub.links.get(appointment.id, link_peer(kind))
                placement = Placement.of(link)
                event = self.graph.state.get(mailbox, placement.event_id) if placement.event_id else None
                if event and (event.start, event.end) == (appointment.start.astimezone(UTC),
                                                          appointment.end.astimezone(UTC)):
                    found += 1
                    wanted_ids.add(event.id)
        strays = [e for e in self.graph.hub_events() if e.id not in wanted_ids]
        total = sum(expected.values())
        observed = found if not strays else total + len(strays)
        return DemoRow("calendars", total, observed, dead_deliveries(ctx.hub, "calendars"),
                       detail=f"{len(expected)} calendars; {len(strays)} stray events; cancelled/no-show removed "
                              f"({sum(a.status in ENDED for a in ctx.register.appointments())})")

    def _reverse(self, ctx: DemoContext) -> DemoRow:
        """Register unavailability blocks (source outlook) vs the simulator's busy times, hub events excluded."""
        assert self.graph is not None
        lo = ctx.hub.now().replace(second=0, microsecond=0)
        hi = lo + timedelta(days=SYNC_DAYS)
        ids = {e.upn: e.id for e in EMPLOYEES}
        want = Counter((ids[m], s, e) for m in self._mailboxes() for s, e in self.graph.busy_times(m, lo, hi))
        with ctx.register.state.lock:
            have = Counter((b.employee_id, b.start.astimezone(UTC), b.end.astimezone(UTC))
                           for b in ctx.register.state.unavailability_blocks.values() if b.source == BLOCK_SOURCE)
        matching = sum((want & have).values())
        extras = sum((have - want).values())
        total = sum(want.values())
        hub_placed = sum(a.status not in ENDED and a.status != AppointmentStatus.CLOSED and a.employee is not None
                         and a.employee.id in BOOKABLE for a in ctx.register.appointments())
        return DemoRow("calendars_reverse", total, matching if not extras else total + extras, 0,
                       detail=f"{extras} unexpected blocks; {hub_placed} hub-placed events not echoed")

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """Every hub-placed calendar event (mailbox, times, subject) and the register's Outlook blocks."""
        assert self.graph is not None
        with ctx.register.state.lock:
            blocks = [(b.employee_id, b.start.astimezone(UTC).isoformat(), b.end.astimezone(UTC).isoformat())
                      for b in ctx.register.state.unavailability_blocks.values() if b.source == BLOCK_SOURCE]
        return {
            # Not the transactionId: which snapshot created an event depends on the order events arrive in.
            "events": counted((e.mailbox, e.start.isoformat(), e.end.isoformat(), e.body.get("subject"))
                              for e in self.graph.hub_events()),
            "blocks": counted(blocks),
        }

