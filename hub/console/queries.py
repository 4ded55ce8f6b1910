"""What the console pages show, read from the store through hub.operations (no payloads unless masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub import operations
from hub.bootstrap import Hub
from hub.console import peer_stats
from hub.logging import redact
from hub.store.tables import Delivery, InboxEvent, Link

#: Keys masked in the event view on top of hub.logging's (BSN, e-mail, phone, birth date): names, address, notes.
PERSONAL_KEYS = frozenset({"firstname", "lastname", "lastnameprefix", "initials", "birthdate", "address",
                           "street", "postalcode", "postcode", "housenumber", "city", "notes", "displayname"})
#: Delivery states an operator can replay.
REPLAYABLE = ("dead", "failed", "skipped")
#: A connector failure younger than this marks the connector as needing attention.
RECENT = timedelta(hours=1)


@dataclass(frozen=True)
class FlowRow:
    name: str
    counts: dict[str, int]
    oldest_open: timedelta | None

    @property
    def received(self) -> int:
        return sum(self.counts.values())

    @property
    def processed(self) -> int:
        return self.counts.get("succeeded", 0) + self.counts.get("skipped", 0)

    @property
    def health(self) -> str:
        """attention (dead letters), busy (work open) or healthy."""
        if self.counts.get("dead", 0):
            return "attention"
        if self.counts.get("pending", 0) or self.counts.get("failed", 0):
            return "busy"
        return "healthy"


@dataclass(frozen=True)
class ConnectorRow:
    name: str
    calls: int
    errors: int
    last_error: str | None
    last_error_at: datetime | None
    remaining: int | None  # rate-limit headroom, where the peer reports it
    limit: int | None
    recent_error: bool  # a failure in the last hour

    @property
    def health(self) -> str:
        low = self.remaining is not None and bool(self.limit) and self.remaining < (self.limit or 0) * 0.1
        return "attention" if low or self.recent_error else "healthy"


def overview(hub: Hub) -> dict[str, Any]:
    status = operations.status(hub)
    now = hub.now()
    oldest = operations.oldest_open(hub)
    flows = [FlowRow(name, counts, now - oldest[name] if name in oldest else None)
             for name, counts in sorted(status["deliveries"].items())]
    connectors = []
    for row in peer_stats.read(hub):
        remaining = (row.headroom_limit - row.headroom_used
                     if row.headroom_limit is not None and row.headroom_used is not None else None)
        recent = row.last_error_at is not None and now - row.last_error_at < RECENT
        connectors.append(ConnectorRow(row.connector, row.ok + row.errors, row.errors, row.last_error,
                                       row.last_error_at, remaining, row.headroom_limit, recent))
    return {"inbox": status["inbox"], "flows": flows, "connectors": connectors, "status": status, "now": now}


def delivery_page(hub: Hub, *, status_: str | None, flow: str | None, error: str | None, subject: str | None,
                  page: int, size: int) -> tuple[list[operations.DeliveryView], bool]:
    """One page of deliveries (newest first) and whether there is a next page."""
    rows = operations.list_deliveries(hub, status_=status_, flow=flow, error_contains=error, subject=subject,
                                      limit=size + 1, offset=(page - 1) * size, newest_first=True)
    return rows[:size], len(rows) > size


def masked_event(hub: Hub, delivery_id: int) -> tuple[operations.DeliveryView | None, Any]:
    """The delivery and its event's content with personal data masked (None once purged)."""
    view = operations.get_delivery(hub, delivery_id)
    if view is None:
        return None, None
    with hub.db.unit_of_work() as s:
        payload = s.scalar(select(InboxEvent.payload).join(Delivery, Delivery.inbox_id == InboxEvent.id)
                           .where(Delivery.id == delivery_id))
    return view, mask(payload) if payload is not None else None


def mask(value: Any) -> Any:
    """The value with personal data replaced: hub.logging's redaction plus names, addresses and notes."""
    if isinstance(value, dict):
        return {k: "[redacted]" if k.replace("_", "").lower() in PERSONAL_KEYS and value[k] not in (None, "")
                else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return redact(value)


def resolve_appointment(hub: Hub, query: str) -> str | None:
    """An appointment id as given, or the appointment a peer's remote id (external id) belongs to."""
    query = query.strip()
    if not query:
        return None
    with hub.db.unit_of_work() as s:
        if s.scalar(select(InboxEvent.id).where(InboxEvent.subject == query).limit(1)) is not None:
            return query
        if s.scalar(select(Link.peer).where(Link.appointment_id == query).limit(1)) is not None:
            return query
        return s.scalar(select(Link.appointment_id).where(Link.remote_id == query).limit(1))


def trace(hub: Hub, appointment_id: str, ui_urls: dict[str, str], viewer_url: str | None = None) -> dict[str, Any]:
    """`operations.trace` plus a link into the peer's own UI where one is configured, and into the
    municipality's trace viewer for each event's trace id (`tracing.viewer_url_template`)."""
    found = operations.trace(hub, appointment_id)
    for event in found["events"]:
        trace_id = event.get("traceId")
        event["traceUrl"] = viewer_url.format(trace_id=trace_id) if viewer_url and trace_id else None
    for link in found["links"]:
        template = ui_urls.get(link["peer"])
        link["uiUrl"] = template.format(remote_id=link["remoteId"]) if template and link["remoteId"] else None
    return found


def migration_runs(staging_url: str) -> list[dict[str, Any]]:
    """The conversion's recorded commands, newest first, with the report file of `report` runs."""
    from migration import runlog
    from migration.db import Staging

    if staging_url.startswith("sqlite:///"):
        path = Path(staging_url.removeprefix("sqlite:///"))
        if not path.exists():  # do not create an empty staging database just by looking
            return []
    staging = Staging(staging_url)
    try:
        runs = runlog.history(staging)
    finally:
        staging.close()
    for run in runs:
        files = (run.get("summary") or {}).get("files") or {}
        report = files.get("report.html") if not (run.get("summary") or {}).get("dryRun") else None
        run["report"] = report if report and Path(report).is_file() else None
        run["verdict"] = (run.get("summary") or {}).get("verdict")
    return list(reversed(runs))


def migration_report(staging_url: str, run_id: int) -> Path | None:
    """The report.html a recorded `report` run wrote (only paths recorded in the staging database)."""
    for run in migration_runs(staging_url):
        if run["id"] == run_id and run["report"]:
            return Path(run["report"])
    return None


__all__ = ["REPLAYABLE", "ConnectorRow", "FlowRow", "delivery_page", "masked_event", "migration_report",
           "migration_runs", "overview", "resolve_appointment", "trace"]
