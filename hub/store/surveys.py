"""The survey flow's repository: candidates (link rows), delivered batches and respondents (own tables).

Candidate rows in the link table, `peer` = `kcm:candidate`, one per appointment: `data` = {state, visitDate,
candidate, invitedOn}; `remote_id` = the file the visit was invited in (kept after purge: at most one
invitation per visit, ever). Batches and respondents live in `survey_batches` and `survey_respondents`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hub.links import content_hash
from hub.store.db import Database
from hub.store.survey_tables import SurveyBatchRow, SurveyRespondentRow
from hub.store.tables import Link
from mappings.kcm import Candidate

PEER_CANDIDATE = "kcm:candidate"

PENDING, INVITED, WITHDRAWN, PURGED = "pending", "invited", "withdrawn", "purged"


@dataclass(frozen=True)
class StoredCandidate:
    candidate: Candidate
    invited_file: str | None


@dataclass(frozen=True)
class DeliveredBatch:
    visit_date: date
    file_name: str
    sha256: str | None
    count: int


class SurveyStore:
    """Reads and writes the survey state; each method is one unit of work."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    # -- candidates (the flow) ------------------------------------------------------------------
    def save_candidate(self, c: Candidate) -> str:
        """Store or refresh a candidate: `stored`, `unchanged`, `already-invited` or `stale`."""
        data = {"state": PENDING, "visitDate": c.visit_date.isoformat(), "candidate": c.model_dump(mode="json")}
        digest = content_hash(data)
        with self.db.unit_of_work() as s:
            row = s.get(Link, (c.appointment_id, PEER_CANDIDATE))
            if row is not None:
                if row.remote_id:
                    return "already-invited"
                if row.last_version is not None and c.version < row.last_version:
                    return "stale"
                if row.content_hash == digest:
                    return "unchanged"
            else:
                row = Link(appointment_id=c.appointment_id, peer=PEER_CANDIDATE)
                s.add(row)
            row.data, row.content_hash, row.updated_at = data, digest, self.now()
            row.last_version = max(c.version, row.last_version or 0)
        return "stored"

    def withdraw(self, appointment_id: str, version: int) -> str:
        """A visit that turned out cancelled or a no-show: drop its data unless it was invited."""
        with self.db.unit_of_work() as s:
            row = s.get(Link, (appointment_id, PEER_CANDIDATE))
            if row is None:
                return "absent"
            if row.remote_id:
                return "already-invited"
            if row.data and row.data.get("state") == WITHDRAWN:
                return "unchanged"
            row.data = {"state": WITHDRAWN, "visitDate": (row.data or {}).get("visitDate")}
            row.content_hash, row.updated_at = WITHDRAWN, self.now()
            row.last_version = max(version, row.last_version or 0)
        return "withdrawn"

    def candidates_for(self, visit_date: date) -> list[StoredCandidate]:
        """The candidates (pending or invited, data not purged) of one visit date."""
        with self.db.unit_of_work() as s:
            rows = s.scalars(select(Link).where(
                Link.peer == PEER_CANDIDATE, Link.data["visitDate"].as_string() == visit_date.isoformat())).all()
            return [StoredCandidate(Candidate.model_validate(r.data["candidate"]), r.remote_id) for r in rows
                    if r.data and r.data.get("state") in (PENDING, INVITED) and "candidate" in r.data]

    def pending_dates(self, first: date, last: date) -> list[date]:
        """Visit dates in [first, last] with candidates not invited yet."""
        with self.db.unit_of_work() as s:
            rows = s.execute(select(Link.data).where(Link.peer == PEER_CANDIDATE, Link.remote_id.is_(None))).all()
        dates = {date.fromisoformat(d["visitDate"]) for (d,) in rows if d and d.get("state") == PENDING}
        return sorted(d for d in dates if first <= d <= last)

    # -- history (the batch) ----------------------------------------------------------------------
    def batch(self, visit_date: date) -> DeliveredBatch | None:
        """The batch delivered for `visit_date`, if any."""
        with self.db.unit_of_work() as s:
            row = s.get(SurveyBatchRow, visit_date)
            if row is None:
                return None
            return DeliveredBatch(row.visit_date, row.file_name, row.sha256, row.invitations)

    def last_invited(self, keys: Iterable[str]) -> dict[str, date]:
        """Each known respondent's last invitation date, by respondent key."""
        wanted = set(keys)
        if not wanted:
            return {}
        with self.db.unit_of_work() as s:
            rows = s.execute(select(SurveyRespondentRow.respondent_key, SurveyRespondentRow.last_invited).where(
                SurveyRespondentRow.respondent_key.in_(wanted))).all()
        return {key: day for key, day in rows}

    def record_delivery(self, visit_date: date, file_name: str, sha256: str, invited: list[Candidate]) -> None:
        """Mark the batch delivered, its visits invited and its respondents' last invitation, in one go."""
        now = self.now()
        with self.db.unit_of_work() as s:
            batch = s.get(SurveyBatchRow, visit_date) or SurveyBatchRow(visit_date=visit_date)
            s.add(batch)
            batch.file_name, batch.sha256, batch.invitations = file_name, sha256, len(invited)
            batch.delivered_at = batch.updated_at = now
            for c in invited:
                row = s.get(Link, (c.appointment_id, PEER_CANDIDATE))
                if row is None:
                    continue
                row.remote_id, row.updated_at = file_name, now
                row.data = {**(row.data or {}), "state": INVITED, "invitedOn": now.date().isoformat()}
                if c.respondent_key:
                    resp = s.get(SurveyRespondentRow, c.respondent_key)
                    if resp is None:
                        resp = SurveyRespondentRow(respondent_key=c.respondent_key, last_invited=visit_date)
                        s.add(resp)
                    resp.last_invited = max(resp.last_invited, visit_date)
                    resp.updated_at = now
                s.flush()

    # -- retention ----------------------------------------------------------------------------------
    def purge(self, retention_days: int, now: datetime | None = None) -> int:
        """Drop candidate personal data `retention_days` after delivery (or after the visit, if never invited).

        The invitation marker, the visit date and the respondent's last invitation date stay.
        """
        today = (now or self.now()).date()
        cutoff = today - timedelta(days=retention_days)
        purged = 0
        with self.db.unit_of_work() as s:
            for row in s.scalars(select(Link).where(Link.peer == PEER_CANDIDATE, Link.data.is_not(None))).all():
                data: dict[str, Any] = row.data or {}
                if data.get("state") not in (PENDING, INVITED):
                    continue
                since = data.get("invitedOn") or data.get("visitDate")
                if since and date.fromisoformat(since) < cutoff:
                    row.data = {"state": PURGED, "visitDate": data.get("visitDate"), "purgedOn": today.isoformat()}
                    row.content_hash, row.updated_at = PURGED, self.now()
                    purged += 1
        return purged
