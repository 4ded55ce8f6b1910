"""`afsprakenhub sync pickups`: read changed document statuses since the watermark and apply them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from flows.pickup_readiness.config import JOB, REGISTER_USES, config_of, peers
from flows.pickup_readiness.documents import DocumentRun
from flows.pickup_readiness.state import read_watermark, write_watermark
from hub.errors import TransientError
from hub.scheduler import JobResult, register_job
from mappings.key2burgerzaken import DocumentStatus

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.flows.pickup_readiness")


@register_job(JOB, schedule="*/15 * * * *",
              description="Key2Burgerzaken document status → ready notices, pick-up access, reminders, "
                          "completion and cancellation of pick-up appointments", uses=REGISTER_USES)
def sync_pickups(hub: Hub, dry_run: bool) -> JobResult:
    """Incremental by status-date watermark (minus a look-back) plus a content hash per document.

    Then the reminder pass: documents ready for `reminder_days` and not collected. A transient failure stops
    the run and keeps the watermark at the first row not done, so the next run picks up from there.
    """
    now = hub.now()
    config = config_of(hub)
    k2b, _, _ = peers(hub)
    lookback = timedelta(seconds=hub.settings.key2burgerzaken.lookback_seconds)
    watermark = read_watermark(hub)
    run = DocumentRun(hub, dry_run, now)
    newest: datetime | None = watermark
    stopped_at: datetime | None = None
    try:
        for row in k2b.changed_since(watermark - lookback if watermark else None):
            run.counts["read"] += 1
            stopped_at = row.status_date
            run.handle(row)
            stopped_at = None
            newest = row.status_date if newest is None else max(newest, row.status_date)
        due = k2b.in_status_between(config.raw_statuses(DocumentStatus.GEREED),
                                    now - timedelta(days=config.collect_within_days),
                                    now - timedelta(days=config.reminder_days))
        for row in due:
            run.counts["reminder_candidates"] += 1
            run.handle(row, force=True)
    except TransientError as exc:
        run.counts["stopped"] = 1
        log.warning("pickups.stopped", reason=exc.reason)
        if not dry_run and (stopped_at or newest):
            write_watermark(hub, min(d for d in (stopped_at, newest) if d is not None))
        return JobResult("retry", {**run.counts, "reason": exc.reason})
    if not dry_run and newest is not None:
        write_watermark(hub, newest)
    outcome = "partial" if run.counts.get("failed") or run.unsupported_reason else "ok"
    counts: dict[str, object] = dict(run.counts)
    if run.unsupported_reason:
        counts["note"] = run.unsupported_reason
    return JobResult(outcome, counts)
