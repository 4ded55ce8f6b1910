"""`afsprakenhub sync calendars`: bookable employees' Outlook busy time → register unavailability blocks.

Reads the coming N days of every configured employee (calendarView in `$batch`, 20 mailboxes per call,
selecting only times and free/busy), leaves out the events the hub placed itself, and pushes the diff
(create / update / delete) in one register batch. State (last window and blocks) is kept in job_state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog

from flows.calendars.busy import BLOCK_SOURCE, BlockDiff, desired_blocks, diff
from flows.calendars.placement import Placement, link_peer
from hub.bootstrap import Hub
from hub.config import OutlookSettings
from hub.errors import DeliveryError
from hub.ports.calendar import Event
from hub.ports.register import Capability
from hub.scheduler import JobResult, register_job
from hub.store.tables import JobState

JOB = "calendars"
log = structlog.get_logger("afsprakenhub.flows.calendars")



def hub_event_ids(hub: Hub) -> set[str]:
    """Ids of every event the hub placed in an employee calendar (from the link table)."""
    rows = hub.links.data_of_peer(link_peer("employee"))
    return {p.event_id for p in (Placement.model_validate(r) for r in rows) if p.event_id}


def _save_state(hub: Hub, window: tuple[datetime, datetime], plan: BlockDiff, desired: Mapping[str, Any]) -> None:
    with hub.db.unit_of_work() as s:
        state = s.get(JobState, JOB) or JobState(job=JOB)
        s.add(state)
        state.watermark = {"lastRunAt": hub.now().isoformat(), "from": window[0].isoformat(),
                           "to": window[1].isoformat(), "blocks": sorted(desired), **plan.counts()}


def sync_busy_time(hub: Hub, *, dry_run: bool = False, days: int | None = None,
                   employees: Mapping[str, str] | None = None) -> JobResult:
    """Run the reverse sync for `employees` (default: the configured bookable ones) over `days` days."""
    settings: OutlookSettings = hub.settings.outlook
    employees = dict(employees if employees is not None else settings.bookable_employees)
    if not employees:
        return JobResult("ok", {"employees": 0, "note": "no bookable employees configured"})
    start = hub.now().replace(second=0, microsecond=0)
    end = start + timedelta(days=days or settings.sync_days)
    views = hub.peers.outlook.calendar_views(list(employees.values()), start, end)
    readable: dict[str, list[Event]] = {}
    failed: list[str] = []
    for employee_id, mailbox in employees.items():
        result = views.get(mailbox)
        if isinstance(result, DeliveryError) or result is None:
            failed.append(employee_id)  # its blocks stay as they are until its calendar can be read
            log.warning("calendars.read_failed", employee=employee_id,
                        reason=str(result) if isinstance(result, DeliveryError) else "no answer")
        else:
            readable[employee_id] = result
    desired = desired_blocks(readable, settings.busy_statuses, hub_event_ids(hub))
    present = hub.peers.register.list_unavailability_blocks(from_=start, to=end)
    plan = diff(desired, [b for b in present if b.source == BLOCK_SOURCE], set(readable))
    counts: dict[str, Any] = {"employees": len(employees), "unreadable": len(failed), "busy": len(desired),
                              **plan.counts()}
    if not dry_run:
        if not plan.empty:
            hub.peers.register.batch_unavailability_blocks(upsert=[*plan.create, *plan.update], delete=plan.delete)
        _save_state(hub, (start, end), plan, desired)
    return JobResult("partial" if failed else "ok", counts)


@register_job(JOB, schedule="*/15 6-19 * * 1-5",
              description="Outlook busy time of bookable employees → register unavailability blocks (diff)",
              needs=frozenset({Capability.UNAVAILABILITY_BLOCKS}))
def calendars_job(hub: Hub, dry_run: bool, days: int | None = None) -> JobResult:
    return sync_busy_time(hub, dry_run=dry_run, days=days)


__all__ = ["JOB", "calendars_job", "hub_event_ids", "sync_busy_time"]
