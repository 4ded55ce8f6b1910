"""The daily survey batch: apply the rules to a day's candidates, write the CSV, deliver it to KCM.

`afsprakenhub surveys send [--date D] [--dry-run] [--force]`, and the scheduled job `surveys`
(`afsprakenhub sync surveys`), which sends every undelivered visit date of the last days up to yesterday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from hub import ldv
from hub.bootstrap import Hub
from hub.errors import DeliveryError
from hub.ports.surveys import SurveyDrop, sha256_hex
from hub.scheduler import JobResult, register_job
from hub.store.surveys import SurveyStore
from mappings.kcm import History, KcmMapping, load_mapping, render_csv, select

log = structlog.get_logger("afsprakenhub.surveys")

PURPOSE = "KCM satisfaction survey: invite visitors of completed visits (daily batch)"
_KEY = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class DayResult:
    """What one visit date's batch did (or would do, in a dry run)."""

    visit_date: date
    counts: dict[str, int]
    file_name: str | None = None
    delivered: int = 0
    note: str = ""


@dataclass
class BatchResult:
    days: list[DayResult] = field(default_factory=list)
    purged: int = 0
    error: str | None = None

    def as_job_result(self, dry_run: bool) -> JobResult:
        counts: dict[str, int | str] = {"dates": ",".join(d.visit_date.isoformat() for d in self.days) or "-"}
        for day in self.days:
            for key, value in day.counts.items():
                counts[key] = int(counts.get(key, 0)) + value
        counts["delivered"] = sum(d.delivered for d in self.days)
        counts["files"] = ",".join(d.file_name for d in self.days if d.file_name and d.delivered) or "-"
        if not dry_run:
            counts["purged"] = self.purged
        if self.error:
            counts["error"] = self.error
        return JobResult("failed" if self.error else "ok", counts)


def read_opt_out_list(path: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(e-mail addresses, respondent keys) from the opt-out list: one per line, `#` starts a comment."""
    if not path:
        return frozenset(), frozenset()
    emails, keys = set(), set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip().lower()
        if "@" in entry:
            emails.add(entry)
        elif _KEY.match(entry):
            keys.add(entry)
    return frozenset(emails), frozenset(keys)


class SurveyBatch:
    """One run of the batch over one or more visit dates."""

    def __init__(self, hub: Hub, *, client: SurveyDrop | None = None, mapping: KcmMapping | None = None) -> None:
        self.hub = hub
        self.settings = hub.settings.kcm
        self.mapping = mapping or load_mapping(self.settings.rules_path)
        self.store = SurveyStore(hub.db, hub.now)
        self._client = client

    @property
    def client(self) -> SurveyDrop:
        if self._client is None:
            self._client = self.hub.peers.kcm
        return self._client

    def today(self) -> date:
        return self.hub.now().astimezone(ZoneInfo(self.mapping.timezone)).date()

    def due_dates(self) -> list[date]:
        """Undelivered visit dates with candidates, from `lookback_days` ago up to yesterday."""
        yesterday = self.today() - timedelta(days=1)
        pending = self.store.pending_dates(yesterday - timedelta(days=self.settings.lookback_days - 1), yesterday)
        return [d for d in pending if self.store.batch(d) is None]

    def run(self, visit_date: date | None = None, *, dry_run: bool = False, force: bool = False) -> BatchResult:
        result = BatchResult()
        dates = [visit_date] if visit_date else self.due_dates()
        try:
            for day in dates:
                result.days.append(self.run_day(day, dry_run=dry_run, force=force))
        except DeliveryError as exc:
            result.error = exc.args[0] if exc.args else type(exc).__name__
            log.warning("surveys.delivery_failed", reason=result.error)
        if not dry_run:
            result.purged = self.store.purge(self.settings.retention_days)
            if result.purged:
                self.hub.audit.record(actor="job:surveys", flow="surveys", action="purge-candidates",
                                      purpose="retention (AVG): remove survey candidate data", outcome="done",
                                      references={"purged": result.purged,
                                                  "retentionDays": self.settings.retention_days})
        return result

    def run_day(self, day: date, *, dry_run: bool, force: bool) -> DayResult:
        rows = self.store.candidates_for(day)
        batch = self.store.batch(day)
        opt_out_emails, opt_out_keys = read_opt_out_list(self.settings.opt_out_list_path)
        history = History(
            invited_visits=frozenset(r.candidate.appointment_id for r in rows if r.invited_file),
            invited_in_this_batch=frozenset(r.candidate.appointment_id for r in rows
                                            if batch and r.invited_file == batch.file_name),
            last_invited=self.store.last_invited(r.candidate.respondent_key for r in rows
                                                 if r.candidate.respondent_key),
            opt_out_emails=opt_out_emails, opt_out_keys=opt_out_keys, date_delivered=batch is not None)
        selection = select((r.candidate for r in rows), self.mapping, history, batch_date=day, force=force)
        counts = selection.counts()
        name = self.mapping.file_name(day)
        log.info("surveys.selected", date=day.isoformat(), dry_run=dry_run, force=force, **counts)
        if dry_run or not selection.included:
            note = "dry run" if dry_run else ("date already delivered" if batch else "nothing to deliver")
            return DayResult(day, counts, name if selection.included else None, 0, note)
        content = render_csv(selection.included, self.mapping)
        digest = sha256_hex(content)
        if not force and self.client.checksum(name) == digest:
            note = "file already in the drop folder (earlier run stopped before recording it)"
        else:
            self.client.deliver(name, content)
            note = "delivered"
        self.store.record_delivery(day, name, digest, selection.included)
        for invited in selection.included:  # the job's record gets a child record per invitee (no BSN kept here)
            ldv.processed(ldv.Subject("EMAIL", invited.email.lower()) if invited.email else None)
        self.hub.audit.record(actor="job:surveys", flow="surveys", action="deliver-invitations", purpose=PURPOSE,
                              outcome="delivered", references={"visitDate": day.isoformat(), "file": name,
                                                               "invitations": len(selection.included),
                                                               "sha256": digest, "force": force,
                                                               "protocol": self.client.protocol})
        return DayResult(day, counts, name, len(selection.included), note)


def run_surveys(hub: Hub, visit_date: date | None = None, *, dry_run: bool = False, force: bool = False,
                client: SurveyDrop | None = None) -> BatchResult:
    """Run the batch for one visit date, or for every due date when none is given."""
    return SurveyBatch(hub, client=client).run(visit_date, dry_run=dry_run, force=force)


@register_job("surveys", schedule="30 6 * * *",
              description="KCM survey invitations: deliver the undelivered visit dates up to yesterday")
def surveys_job(hub: Hub, dry_run: bool, date: str | None = None, force: bool = False) -> JobResult:
    visit_date = _parse_date(date) if date else None
    return run_surveys(hub, visit_date, dry_run=dry_run, force=force).as_job_result(dry_run)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--date must be YYYY-MM-DD, not {value!r}") from None
