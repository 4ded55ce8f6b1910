"""The demo's `zaak_closure` part: zaken for the day's case references; closing some closes exactly their
appointments in the register, through the NRC, the hub's notificaties webhook and the flow."""

from __future__ import annotations

from typing import Any

from flows.zaak_closure import NEEDS
from hub.demo.parts import DemoContext, DemoPart, DemoRow, dead_deliveries, demo_part
from hub.model import AppointmentStatus
from mappings.zgw import needs_closing
from sandbox.framework import Simulator
from sandbox.server import SandboxServer
from sandbox.zgw.auth import DEFAULT_CLIENT_ID, DEFAULT_SECRET
from sandbox.zgw.nrc import NotificatiesSimulator
from sandbox.zgw.openzaak import OpenZaakSimulator

FLOW = "zaak_closure"
NRC_AUTH = "Bearer demo-nrc-callback-0123456789"
#: Share of the day's zaken the demo closes; of the rest, this share moves to "in behandeling".
CLOSE_SHARE = 0.5
PROGRESS_SHARE = 0.5


@demo_part
class ZaakClosureDemo(DemoPart):
    """Open Zaak + NRC simulators; zaken closed after the day close exactly their open appointments."""

    name = FLOW
    register_needs = {FLOW: NEEDS, f"{FLOW} (untouched)": NEEDS}

    def __init__(self) -> None:
        self.nrc: NotificatiesSimulator | None = None
        self.openzaak: OpenZaakSimulator | None = None
        self.closed_refs: set[str] = set()
        self.before: dict[str, AppointmentStatus] = {}

    def simulators(self, seed: int) -> list[Simulator]:
        self.nrc = NotificatiesSimulator(seed=seed)
        self.openzaak = OpenZaakSimulator(seed=seed, nrc=self.nrc)
        return [self.nrc, self.openzaak]

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        assert self.openzaak is not None and self.nrc is not None
        return {"notificaties_auth": NRC_AUTH,
                "zgw": {"zaken_base_urls": [self.openzaak.zaken_url], "catalogi_base_url": self.openzaak.catalogi_url,
                        "nrc_url": self.nrc.api_url, "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_SECRET,
                        "case_reference_match": "identificatie", "max_retries": 2}}

    def before_day(self, ctx: DemoContext) -> None:
        """Subscribe the hub at the NRC (as `afsprakenhub zgw subscribe` does), then register the zaken."""
        from hub.cli_zgw import ensure_subscription

        assert self.openzaak is not None
        ensure_subscription(ctx.hub.settings, callback_url=f"{ctx.hub_url}/api/v1/notificaties")
        for plan in ctx.day.appointments:
            if plan.case_reference:
                self.openzaak.create_zaak(plan.case_reference)

    def after_day(self, ctx: DemoContext) -> None:
        """Close a share of the zaken (and move some others on) once the day has settled."""
        assert self.openzaak is not None and self.nrc is not None
        self.before = {a.id: a.status for a in ctx.register.appointments()}
        refs = sorted({p.case_reference for p in ctx.day.appointments if p.case_reference})
        self.closed_refs = set(ctx.rng.sample(refs, round(len(refs) * CLOSE_SHARE)))
        for ref in refs:
            if ref in self.closed_refs:
                self.openzaak.close_zaak(ref)
            elif ctx.rng.random() < PROGRESS_SHARE:
                self.openzaak.set_status(ref, "in-behandeling")
        if not self.nrc.flush(60):
            raise RuntimeError("the NRC did not deliver every notification to the hub")

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        assert self.nrc is not None
        plans = {p.appointment_id: p for p in ctx.day.appointments if p.appointment_id}
        now = {a.id: a.status for a in ctx.register.appointments()}
        in_closed = {i for i, p in plans.items() if p.case_reference in self.closed_refs}
        to_close = {i for i in in_closed if needs_closing(self.before[i])}
        closed = {i for i in to_close if now[i] == AppointmentStatus.CLOSED}
        others = [i for i in now if i not in to_close]
        untouched = [i for i in others if now[i] == self.before.get(i)]
        failed = sum(not d.delivered for d in self.nrc.deliveries)
        return [
            DemoRow(FLOW, len(to_close), len(closed), dead_deliveries(ctx.hub, FLOW),
                    detail=f"{len(self.closed_refs)} zaken closed; {len(in_closed) - len(to_close)} finished "
                           f"appointments left alone; {len(self.nrc.deliveries)} notifications, {failed} undelivered"),
            DemoRow(f"{FLOW} (untouched)", len(others), len(untouched), 0,
                    detail="appointments without a closed zaak, or already finished, keep their status"),
        ]

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """Which zaken were closed and the status each appointment ended with."""
        return {"closed_refs": sorted(self.closed_refs),
                "statuses": {a.id: str(a.status) for a in ctx.register.appointments()}}

