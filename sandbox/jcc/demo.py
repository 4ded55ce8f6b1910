"""The demo's `jcc-conversion` part: a dress rehearsal of the JCC conversion on the sandbox.

A small generated JCC data set is extracted over SOAP, planned, loaded and reconciled into a second
register simulator (its own prefix, so the scripted day's register and flows are not touched). The row
expects every in-scope appointment converted once and no discrepancy left besides the planted rejects.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hub.demo.parts import DemoContext, DemoPart, DemoRow, demo_part, scratch_dir
from hub.settings import RegisterSettings
from migration.settings import MigrationSettings
from migration.steps import LOAD_NEEDS, READ_NEEDS
from sandbox.framework import Simulator
from sandbox.jcc.simulator import JccSimulator
from sandbox.register import RegisterSimulator

APPOINTMENTS = 40


@demo_part
class JccConversionPart(DemoPart):
    name = "jcc-conversion"
    register_needs = {name: frozenset({*LOAD_NEEDS, *READ_NEEDS})}

    def __init__(self) -> None:
        self.jcc: JccSimulator | None = None
        self.target: RegisterSimulator | None = None
        self.results: dict[str, Any] = {}
        self.error: str | None = None

    def simulators(self, seed: int) -> list[Simulator]:
        self.jcc = JccSimulator(appointments=APPOINTMENTS, seed=seed, history_days=0)
        self.target = RegisterSimulator(prefix="/register-migration", echo_api_changes=False)
        return [self.jcc, self.target]

    def after_day(self, ctx: DemoContext) -> None:
        from connectors.jcc.quirks import AMSTERDAM
        from migration import steps
        from migration.context import MigrationContext

        assert self.jcc is not None and self.target is not None
        folder = scratch_dir("demo-jcc-")
        settings = ctx.hub.settings.model_copy(update={
            "register_api": RegisterSettings(base_url=self.target.api_url, token_url=self.target.token_url),
            "migration": MigrationSettings(staging_database_url=f"sqlite:///{folder / 'migration.db'}",
                                           jcc_wsdl_url=f"{self.jcc.base_url}/?wsdl", register_rate_per_second=500,
                                           output_dir=folder / "report")})
        today = date.today()
        first, last = today, today + timedelta(days=max(14, APPOINTMENTS // 60))
        mig = MigrationContext.open(settings.migration, progress=False)
        mig.clock = lambda: datetime.combine(today, datetime.min.time(), AMSTERDAM)
        try:
            self.results["extract"] = steps.run_extract_soap(mig, settings, wsdl=None, first=first, last=last,
                                                             locations=None, dry_run=False, refresh=False,
                                                             concurrency=4)
            self.results["plan"] = steps.run_plan(mig, settings)
            self.results["load"] = steps.run_load(mig, settings)
            self.results["reconcile"] = steps.run_reconcile(mig, settings)
            self.results["report"] = steps.run_report(mig, folder / "report")
        except Exception as exc:  # the row shows it; the rest of the demo goes on
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            mig.close()

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        plan, recon = self.results.get("plan") or {}, self.results.get("reconcile") or {}
        expected = int(plan.get("create", 0)) + int(plan.get("leave", 0)) + int(plan.get("update", 0))
        converted = len({a.external_id for a in (self.target.appointments() if self.target else [])
                         if (a.external_id or "").startswith("jcc:")})
        unexplained = recon.get("unexplained", {})
        surprises = sum(v for k, v in unexplained.items() if k != "rejected")
        ok = self.error is None and surprises == 0
        detail = self.error or (f"rejected {plan.get('reject', 0)} (planted, to be waived); "
                                f"report {self.results.get('report', {}).get('files', {}).get('report.html', '')}")
        return [DemoRow(self.name, expected, converted if ok else -1, 0, detail)]

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """The conversion's plan and reconciliation counts and the converted external ids."""
        converted = sorted(a.external_id or "" for a in (self.target.appointments() if self.target else [])
                           if (a.external_id or "").startswith("jcc:"))
        return {"error": self.error, "plan": self.results.get("plan"), "converted": converted,
                "unexplained": (self.results.get("reconcile") or {}).get("unexplained")}


__all__ = ["JccConversionPart"]
