"""Scheduled jobs of the gate: the pass list refresh and the register read that backs up the events."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from flows.waste_depot.bookings import booking_row
from flows.waste_depot.codes import pass_key
from hub import ldv
from hub.errors import PermanentError
from hub.ports.register import Capability
from hub.scheduler import JobResult, register_job
from hub.store import waste_depot as store

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.flows.waste_depot")

PASSES_JOB = "waste-depot-passes"
BOOKINGS_JOB = "waste-depot-bookings"


@register_job(PASSES_JOB, schedule="0 * * * *",
              description="refresh the waste-depot pass list (milieupassen) from its source, void passes included")
def refresh_passes(hub: Hub, dry_run: bool) -> JobResult:
    """Read the whole list and swap it in atomically; a list that yields no pass at all is refused (the old
    one stays and readiness reports it stale), so a truncated drop never locks everyone out."""
    source = hub.peers.passes
    read = source.fetch()
    counts: dict[str, int | str] = {"source": read.source, "read": len(read.passes), "refused": len(read.problems)}
    for problem in read.problems[:20]:
        log.warning("waste_depot.pass_row_refused", problem=problem)
    if not read.passes and source.name != "none":
        raise PermanentError(f"pass list {read.source} holds no valid row; the previous list stays")
    if dry_run:
        return JobResult("ok", counts)
    key = hub.settings.waste_depot.signing_key.get_secret_value()
    by_key = {pass_key(key, p.pass_number): (p.status, p.visits_used) for p in read.passes}
    counts["stored"] = store.replace_passes(hub.db, ((k, st, n) for k, (st, n) in by_key.items()), hub.now())
    store.mark_refreshed(hub.db, PASSES_JOB, hub.now())
    counts["void"] = sum(1 for st, _ in by_key.values() if st == "void")
    return JobResult("partial" if read.problems else "ok", counts)


@register_job(BOOKINGS_JOB, schedule="*/10 * * * *",
              description="read today's and tomorrow's waste-depot bookings from the register (safety net for "
                          "missed events); drop bookings that ended before today, scans past retention and visits "
                          "of past years", needs=frozenset({Capability.LIST_APPOINTMENTS}))
def read_bookings(hub: Hub, dry_run: bool) -> JobResult:
    """Today and tomorrow in Europe/Amsterdam (a DST day has 23 or 25 hours); newer stored versions win."""
    settings = hub.settings.waste_depot
    now = hub.now()
    start, end = store.local_day_start(now), store.local_day_start(now, days=2)
    read = written = 0
    for location in settings.locations:
        for appointment in hub.peers.register.list_appointments(from_=start, to=end, location_id=location):
            if appointment.location.id != location:
                continue
            read += 1
            if not dry_run and store.upsert_booking(hub.db, booking_row(appointment, settings, "register", now)):
                written += 1
                ldv.processed(ldv.subject_of_customer(appointment.customer))  # LDV: a record per booking kept
    purged = 0
    if not dry_run:
        purged = store.purge_bookings(hub.db, start - timedelta(minutes=settings.margin_minutes))
        scans, visits = store.purge_history(hub.db, now - timedelta(days=hub.settings.retention_days),
                                            store.year_of(now))
        store.mark_refreshed(hub.db, BOOKINGS_JOB, now)
        return JobResult("ok", {"read": read, "written": written, "purged": purged, "scansPurged": scans,
                                "visitsPurged": visits})
    return JobResult("ok", {"read": read, "written": written, "purged": purged})
