"""The alert engine: record conditions durably, send each episode once (claimed by a conditional update), and
send "resolved" when it ends. Several processes may check at once: the claims make one of them send."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import structlog
from sqlalchemy import ColumnElement, CursorResult, Update, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.alerts.channels import Channel, configured_channels
from hub.alerts.conditions import GLOBAL, Condition, collect
from hub.alerts.messages import AlertMessage, Status, compose
from hub.loops import LoopRegistry, describe, start_loop
from hub.store.ops_tables import AlertState

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = structlog.get_logger("afsprakenhub.alerts")


@dataclass
class CheckResult:
    """What one check did: keys opened, resolved, and messages sent (or that failed to send)."""

    active: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def console_url(hub: Hub) -> str:
    return hub.settings.alerts.console_url or hub.settings.public_url.rstrip("/") + "/console"


def _changed(s: Session, statement: Update) -> int:
    """Rows an UPDATE changed (the claim succeeded when it is 1)."""
    return cast(CursorResult[Any], s.execute(statement)).rowcount


class AlertEngine:
    """Checks the conditions and notifies; `channels` default to the configured ones."""

    def __init__(self, hub: Hub, channels: Sequence[Channel] | None = None,
                 loops: LoopRegistry | None = None) -> None:
        self.hub = hub
        self.channels = list(configured_channels(hub.settings.alerts) if channels is None else channels)
        self.loops = loops

    def check(self) -> CheckResult:
        """Record what holds now, resolve what no longer holds, and send what nobody sent yet."""
        result = CheckResult()
        conditions = collect(self.hub, self.loops)
        self._record(conditions, result)
        if self.channels:
            self._notify(result)
        return result

    # -- state -----------------------------------------------------------------------------------

    def _record(self, conditions: list[Condition], result: CheckResult) -> None:
        now = self.hub.now()
        seen = {c.key: c for c in conditions}
        result.active = sorted(seen)
        for c in conditions:
            with self.hub.db.unit_of_work() as s:
                reopened = _changed(s, update(AlertState).where(
                    AlertState.key == c.key, AlertState.resolved_at.is_not(None)).values(
                    opened_at=now, last_seen_at=now, resolved_at=None, notified_at=None,
                    resolved_notified_at=None, summary=c.summary, console_path=c.console_path,
                    last_send_error=None))
                if reopened:
                    result.opened.append(c.key)
                    continue
                kept = _changed(s, update(AlertState).where(AlertState.key == c.key).values(
                    last_seen_at=now, summary=c.summary, console_path=c.console_path))
            if not kept:
                try:
                    with self.hub.db.unit_of_work() as s:
                        s.add(AlertState(key=c.key, kind=c.kind, scope=c.scope, summary=c.summary,
                                         console_path=c.console_path, opened_at=now, last_seen_at=now))
                    result.opened.append(c.key)
                except IntegrityError:
                    pass  # another process recorded it at the same moment
        with self.hub.db.unit_of_work() as s:
            open_keys = list(s.scalars(select(AlertState.key).where(
                AlertState.resolved_at.is_(None), AlertState.scope.in_((GLOBAL, self.hub.worker_name)))))
            for key in open_keys:
                if key in seen:
                    continue
                if _changed(s, update(AlertState).where(AlertState.key == key, AlertState.resolved_at.is_(None))
                            .values(resolved_at=now)):
                    result.resolved.append(key)
        for key in result.opened:
            log.warning("alert.opened", alert=key)
        for key in result.resolved:
            log.info("alert.resolved", alert=key)

    # -- sending ---------------------------------------------------------------------------------

    def _claim(self, key: str, column: str, guard: list[ColumnElement[bool]]) -> bool:
        with self.hub.db.unit_of_work() as s:
            target = getattr(AlertState, column)
            return bool(_changed(s, update(AlertState).where(AlertState.key == key, target.is_(None), *guard)
                                 .values({column: self.hub.now()})))

    def _release(self, key: str, column: str, error: str) -> None:
        with self.hub.db.unit_of_work() as s:
            s.execute(update(AlertState).where(AlertState.key == key).values({column: None,
                                                                              "last_send_error": error[:300]}))

    def _notify(self, result: CheckResult) -> None:
        with self.hub.db.unit_of_work() as s:  # its objects stay readable after the session (no expiry)
            rows = list(s.scalars(select(AlertState).where(or_(
                AlertState.notified_at.is_(None) & AlertState.resolved_at.is_(None),
                AlertState.resolved_at.is_not(None) & AlertState.resolved_notified_at.is_(None)))))
        for row in rows:
            if row.resolved_at is None:
                if self._claim(row.key, "notified_at", [AlertState.resolved_at.is_(None)]):
                    self._deliver(row, "firing", "notified_at", result)
            elif row.notified_at is None:  # ended before anyone told: nothing to resolve for the reader
                self._claim(row.key, "resolved_notified_at", [])
            elif self._claim(row.key, "resolved_notified_at", [AlertState.resolved_at.is_not(None)]):
                self._deliver(row, "resolved", "resolved_notified_at", result)

    def _deliver(self, row: AlertState, status: Status, column: str, result: CheckResult) -> None:
        message = compose(key=row.key, kind=row.kind, summary=row.summary, console_url=console_url(self.hub),
                          console_path=row.console_path, opened_at=row.opened_at,
                          resolved_at=row.resolved_at if status == "resolved" else None, status=status)
        errors = send_all(self.channels, message)
        if len(errors) == len(self.channels):  # nothing went out: the next check tries again
            self._release(row.key, column, "; ".join(errors))
            result.failed.append(row.key)
            return
        if errors:
            with self.hub.db.unit_of_work() as s:
                s.execute(update(AlertState).where(AlertState.key == row.key)
                          .values(last_send_error="; ".join(errors)[:300]))
        result.sent.append(f"{status}:{row.key}")


def send_all(channels: Sequence[Channel], message: AlertMessage) -> list[str]:
    """Send to every channel; one redacted line per channel that failed."""
    errors: list[str] = []
    for channel in channels:
        try:
            channel.send(message)
            log.info("alert.sent", alert=message.key, status=message.status, channel=channel.name)
        except Exception as exc:
            error = f"{channel.name}: {describe(exc)}"
            errors.append(error)
            log.warning("alert.send_failed", alert=message.key, status=message.status, channel=channel.name,
                        error=error, hint="check AFSPRAKENHUB_ALERTS__WEBHOOK_URL / __SMTP__* settings")
    return errors


def send_test(hub: Hub, channels: Sequence[Channel] | None = None) -> tuple[list[str], list[str]]:
    """A test message to every configured channel: (channels reached, errors)."""
    chosen = list(configured_channels(hub.settings.alerts) if channels is None else channels)
    now = hub.now()
    message = compose(key="test", kind="test", summary="testmelding", console_url=console_url(hub),
                      console_path="/alerts", opened_at=now, status="test")
    errors = send_all(chosen, message)
    failed = {e.split(":", 1)[0] for e in errors}
    return [c.name for c in chosen if c.name not in failed], errors


def alert_rows(hub: Hub, *, include_resolved: bool = False, limit: int = 200) -> list[AlertState]:
    """Open alerts (and, when asked, the latest resolved ones), newest first."""
    query = select(AlertState).order_by(AlertState.opened_at.desc()).limit(limit)
    if not include_resolved:
        query = query.where(AlertState.resolved_at.is_(None))
    with hub.db.unit_of_work() as s:  # its objects stay readable after the session (no expiry)
        return list(s.scalars(query))


def start_alerts(hub: Hub) -> threading.Event:
    """Check every `alerts.check_interval_seconds` in a background loop (when alerts are on); set to stop."""
    stop = threading.Event()
    settings = hub.settings.alerts
    if settings.enabled:
        engine = AlertEngine(hub)
        start_loop("alerts", settings.check_interval_seconds, engine.check, stop)
    return stop


__all__ = ["AlertEngine", "CheckResult", "alert_rows", "console_url", "send_all", "send_test", "start_alerts"]
