"""`afsprakenhub sync roster`: the RostarCAS roster for the coming weeks → staffing blocks in the register.

Fetch the export, map each shift (mappings/rostarcas.yaml), diff with what was pushed last time (content
hash per shift, kept in job_state), push only the difference in one bulk call, then check the changed blocks
for capacity conflicts (bookings the new staffing cannot serve): CSV + JSON report, a warning and a metric.
Nothing changed → no register call at all. `roster-full` (nightly) diffs against the register's actual blocks
instead, repairing drift, and re-checks every block in the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from flows.roster.conflicts import Conflict, find_conflicts, merged_ranges
from flows.roster.metrics import BLOCKS_PUSHED, CAPACITY_CONFLICTS, ROWS_REFUSED
from flows.roster.plan import PushedBlock, RosterPlan, Window, make_plan
from flows.roster.report import write_report
from flows.roster.state import RosterState, load_state, save_state
from hub.bootstrap import Hub
from hub.config import RostarcasSettings
from hub.errors import DeliveryError
from hub.model import Appointment
from hub.ports.register import Capability, StaffingBlock
from hub.ports.roster import RosterExport, RosterPort, RowProblem
from hub.scheduler import JobResult, register_job
from mappings.rostarcas import BLOCK_PREFIX, RosterBlock, Skipped, load_mapping, map_shift

JOB, FULL_JOB = "roster", "roster-full"
LOCK = "roster:sync"
#: Push staffing blocks; read the appointments they hold for the capacity check.
NEEDS = frozenset({Capability.STAFFING_BLOCKS, Capability.LIST_APPOINTMENTS})
log = structlog.get_logger("afsprakenhub.flows.roster")


@dataclass
class RosterRun:
    """Everything one run found and did; `as_job_result()` is what `sync` prints."""

    dry_run: bool
    full: bool
    window: Window
    outcome: str = "ok"
    source: str = ""
    shifts: int = 0
    plan: RosterPlan = field(default_factory=RosterPlan)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    outstanding: int = 0
    report: Path | None = None
    note: str = ""
    error: str | None = None

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "source": self.source, "from": self.window.first.isoformat(), "to": self.window.end.isoformat(),
            "shifts": self.shifts, **self.plan.counts(), "notBookable": self.skipped.get("not_bookable", 0),
            "unmapped": sum(v for k, v in self.skipped.items() if k != "not_bookable"),
            "malformed": sum(1 for p in self.problems if not p.reason.startswith("unmapped:")),
            "conflicts": len(self.conflicts), "conflictsOutstanding": self.outstanding,
        }
        if self.plan.create or self.plan.update or self.plan.delete:
            counts["plan"] = self.plan.by_day_and_location(self.window)
        if self.problems:
            counts["problems"] = [f"{p.file}:{p.line} {p.reason}" for p in self.problems[:50]]
        if self.report is not None:
            counts["report"] = str(self.report)
        if self.note:
            counts["note"] = self.note
        if self.error:
            counts["error"] = self.error
        return counts

    def as_job_result(self) -> JobResult:
        return JobResult(self.outcome, self.counts())


def _window(hub: Hub, settings: RostarcasSettings, weeks: int, zone: ZoneInfo) -> Window:
    first = hub.now().astimezone(zone).date()
    return Window(first, first + timedelta(weeks=weeks), zone)


def _map(export: RosterExport, mapping_path: str | None, window: Window,
         run: RosterRun) -> dict[str, RosterBlock]:
    mapping = load_mapping(mapping_path)
    desired: dict[str, RosterBlock] = {}
    for shift in export.shifts:
        if not window.first <= shift.day < window.end:
            continue
        run.shifts += 1
        result = map_shift(shift, mapping)
        if isinstance(result, Skipped):
            run.skipped[result.kind] = run.skipped.get(result.kind, 0) + 1
            if result.kind != "not_bookable":
                run.problems.append(RowProblem(file=shift.file or export.source, line=shift.line,
                                               reason=f"unmapped: shift {shift.shift_id}: {result.reason}"))
                ROWS_REFUSED.labels(kind=result.kind).inc()
            continue
        desired[result.id] = result
    return desired


def _present(hub: Hub, window: Window) -> dict[str, PushedBlock]:
    """The register's own blocks (those the hub made) in the window, for a full run."""
    lo, hi = window.bounds()
    blocks = hub.peers.register.list_staffing_blocks(from_=lo, to=hi)
    return {b.id: PushedBlock.of(RosterBlock.model_validate(b.model_dump())) for b in blocks
            if b.id.startswith(BLOCK_PREFIX)}


#: Gaps between changed blocks up to this long are read in one appointment query (paged): one query per
#: location and stretch of days instead of one per block (a 600-shift roster: 186 calls → 3).
QUERY_BRIDGE = timedelta(days=1)


def _appointments(hub: Hub, regions: list[RosterBlock]) -> list[Appointment]:
    found: dict[str, Appointment] = {}
    for location, lo, hi in merged_ranges(regions, bridge=QUERY_BRIDGE):
        for appointment in hub.peers.register.list_appointments(from_=lo, to=hi, location_id=location):
            found[appointment.id] = appointment
    return list(found.values())


def _next_state(state: RosterState, run: RosterRun, desired: dict[str, RosterBlock], exported_at: Any,
                source: str) -> RosterState:
    blocks = dict(state.blocks)
    if run.full:
        blocks = {k: v for k, v in blocks.items() if not run.window.covers(v.block)}
    for block in run.plan.delete:
        blocks.pop(block.id, None)
    for block_id in run.plan.forget:
        blocks.pop(block_id, None)
    targets = desired.values() if run.full else run.plan.upserts()
    for block in targets:
        blocks[block.id] = PushedBlock.of(block)
    newest = exported_at if state.exported_at is None or (exported_at and exported_at > state.exported_at) \
        else state.exported_at
    return RosterState(exported_at=newest, source=source, last_push_at=state.last_push_at, blocks=blocks,
                       conflicts=state.conflicts)


def sync_roster(hub: Hub, *, weeks: int | None = None, dry_run: bool = False, full: bool = False,
                client: RosterPort | None = None) -> RosterRun:
    """One run over `weeks` weeks from today (default: settings); `client` overrides `hub.peers.rostarcas`."""
    settings: RostarcasSettings = hub.settings.rostarcas
    zone = ZoneInfo(load_mapping(settings.mapping_path).timezone)
    run = RosterRun(dry_run=dry_run, full=full, window=_window(hub, settings, weeks or settings.weeks, zone))
    if not dry_run and not hub.locks.acquire(LOCK, hub.worker_name, 900):
        run.outcome, run.note = "skipped", "another roster run is in progress"
        return run
    try:
        _sync(hub, settings, run, client or hub.peers.rostarcas, zone)
    finally:
        if not dry_run:
            hub.locks.release(LOCK, hub.worker_name)
    return run


def _sync(hub: Hub, settings: RostarcasSettings, run: RosterRun, client: RosterPort, zone: ZoneInfo) -> None:
    state = load_state(hub)
    try:
        export: RosterExport = client.fetch_roster(run.window.first, run.window.end)
    except DeliveryError as exc:
        run.outcome, run.error = "failed", str(exc)
        log.warning("roster.fetch_failed", reason=str(exc))
        return
    run.source = export.source
    run.problems = list(export.problems)
    for _ in export.problems:
        ROWS_REFUSED.labels(kind="malformed").inc()
    if export.problems:
        log.warning("roster.rows_refused", source=export.source, rows=len(export.problems),
                    first=f"{export.problems[0].file}:{export.problems[0].line} {export.problems[0].reason}")
    if (not run.full and export.generated_at and state.exported_at and export.generated_at < state.exported_at):
        run.outcome = "stale"
        run.note = (f"export of {export.generated_at.isoformat()} is older than the one applied "
                    f"({state.exported_at.isoformat()}); nothing changed")
        log.info("roster.stale_export", source=export.source)
        return
    desired = _map(export, settings.mapping_path, run.window, run)
    try:
        previous = _present(hub, run.window) if run.full else state.blocks
    except DeliveryError as exc:
        run.outcome, run.error = "failed", str(exc)
        return
    run.plan = make_plan(desired, previous, run.window)
    if run.dry_run:
        run.outstanding = len(state.conflicts)
        return
    if not run.plan.empty:
        try:
            hub.peers.register.batch_staffing_blocks(
                upsert=[StaffingBlock.model_validate(b.model_dump()) for b in run.plan.upserts()],
                delete=[b.id for b in run.plan.delete])
        except DeliveryError as exc:
            run.outcome, run.error = "failed", str(exc)
            log.warning("roster.push_failed", reason=str(exc), **run.plan.counts())
            return
        for action, n in run.plan.counts().items():
            if action != "unchanged" and n:
                BLOCKS_PUSHED.labels(action=action).inc(n)
    new_state = _next_state(state, run, desired, export.generated_at, export.source)
    if not run.plan.empty:
        new_state.last_push_at = hub.now()
    save_state(hub, new_state)  # the push is recorded before the (read-only) conflict check
    _check_conflicts(hub, settings, run, new_state, desired, zone)
    if run.outcome == "ok" and (run.problems or any(k != "not_bookable" for k in run.skipped)):
        run.outcome = "partial"


def _check_conflicts(hub: Hub, settings: RostarcasSettings, run: RosterRun, state: RosterState,
                     desired: dict[str, RosterBlock], zone: ZoneInfo) -> None:
    changed = list(desired.values()) if run.full else run.plan.upserts()
    previous = [*(old for old, _ in run.plan.update), *run.plan.delete]
    checked = {b.id for b in changed} | {b.id for b in previous}
    now = hub.now()
    kept = [c for c in state.conflicts if c.block_id not in checked and c.end > now]
    if checked:
        try:
            appointments = _appointments(hub, [*changed, *previous])
        except DeliveryError as exc:
            run.outcome, run.error = "partial", f"conflict check failed: {exc}"
            log.warning("roster.conflict_check_failed", reason=str(exc))
            return
        run.conflicts = find_conflicts(changed, previous, list(desired.values()), appointments, zone)
        run.report = write_report(Path(settings.report_dir), run.conflicts, now, len(checked))
    state.conflicts = sorted([*kept, *run.conflicts], key=lambda c: (c.start, c.block_id))
    run.outstanding = len(state.conflicts)
    save_state(hub, state)
    CAPACITY_CONFLICTS.set(run.outstanding)
    if run.conflicts:
        log.warning("roster.capacity_conflicts", conflicts=len(run.conflicts), outstanding=run.outstanding,
                    blocks=[c.block_id for c in run.conflicts[:20]], report=str(run.report))
        hub.audit.record(actor="roster", flow=JOB, action="capacity-conflicts", outcome="reported",
                         purpose="staffing below booked appointments: tell the planners",
                         references={"conflicts": len(run.conflicts), "report": str(run.report)})


@register_job(JOB, schedule="*/15 * * * *",
              description="RostarCAS roster → register staffing blocks (diff by content hash), capacity conflicts",
              needs=NEEDS)
def roster_job(hub: Hub, dry_run: bool, weeks: int | None = None) -> JobResult:
    return sync_roster(hub, dry_run=dry_run, weeks=weeks).as_job_result()


@register_job(FULL_JOB, schedule="30 2 * * *",
              description="RostarCAS roster vs the register's actual staffing blocks (repairs drift), all conflicts",
              needs=NEEDS)
def roster_full_job(hub: Hub, dry_run: bool, weeks: int | None = None) -> JobResult:
    return sync_roster(hub, dry_run=dry_run, full=True, weeks=weeks).as_job_result()


__all__ = ["FULL_JOB", "JOB", "RosterRun", "roster_full_job", "roster_job", "sync_roster"]
