"""The scheduled job `datalake`: the same export as `afsprakenhub export datalake`, on a cron schedule."""

from __future__ import annotations

from hub.bootstrap import Hub
from hub.scheduler import JobResult, register_job

JOB = "datalake"
LOCK = f"job:{JOB}"  # the scheduler's lock for this job; the CLI takes it too, so two exports never overlap


@register_job(JOB, schedule="20 * * * *",
              description="export appointments, visits, contact moments and deliveries to the data platform "
                          "(Delta tables)")
def run(hub: Hub, dry_run: bool) -> JobResult:
    from flows.datalake.export import export_datalake

    result = export_datalake(hub, dry_run=dry_run)
    # events purged by retention before they were exported are a gap the data platform team must hear of
    return JobResult("partial" if result.purged_events or result.unreadable_events else "ok", result.counts())
