"""What drift reconciliation finds: one `Finding` per difference, a `DriftReport` per run (CSV/JSON, no personal
data: appointment ids, peers, calendar kinds, remote ids and times only)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Peer = Literal["outlook", "salesforce", "klantinteracties"]
FindingKind = Literal["missing", "orphaned", "shifted"]
#: How `--repair` fixes it: send the register's snapshot to the owning flow again, delete a stray record, or
#: nothing (reported for a person to look at).
Fix = Literal["resend", "delete", "none"]


class Finding(BaseModel):
    """One difference between the register and a peer."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    peer: Peer
    kind: FindingKind
    appointment_id: str | None
    #: Where in the peer: `employee`/`room` calendar, or the contact-moment kind.
    target: str
    remote_id: str | None = None
    expected_start: datetime | None = None
    actual_start: datetime | None = None
    delta_minutes: int | None = None
    #: A shift of exactly one hour across a daylight-saving change (a time written with the wrong offset).
    dst: bool = False
    detail: str = ""
    fix: Fix = "resend"


class DriftReport(BaseModel):
    """One reconciliation run: the window compared, how many appointments, what differs, what was queued."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    at: datetime
    days: int
    window_start: datetime
    window_end: datetime
    appointments: int
    peers: list[str]
    findings: list[Finding] = Field(default_factory=list)
    repaired: int = 0
    #: Peers (or parts of them) not compared, and why.
    skipped_peers: dict[str, str] = Field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """`<peer>.<kind>` → how many, plus `total`."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f"{f.peer}.{f.kind}"] = out.get(f"{f.peer}.{f.kind}", 0) + 1
        out["total"] = len(self.findings)
        return out

    def stored(self, limit: int = 500) -> dict[str, object]:
        """The report as the job keeps it (and the console shows it): at most `limit` findings."""
        data = self.model_dump(mode="json", by_alias=True)
        data["findings"] = data["findings"][:limit]
        data["truncated"] = len(self.findings) > limit
        data["counts"] = self.counts()
        return data


CSV_COLUMNS = ("peer", "kind", "appointmentId", "target", "remoteId", "expectedStart", "actualStart",
               "deltaMinutes", "dst", "fix", "detail")


def to_csv(findings: list[Finding]) -> str:
    """The findings as CSV (header row first)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for f in findings:
        row = f.model_dump(mode="json", by_alias=True)
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in CSV_COLUMNS})
    return buffer.getvalue()


def shift_of(expected: datetime, actual: datetime, zone: str, now: datetime) -> tuple[int, bool]:
    """Minutes `actual` is later than `expected`, and whether it looks like a daylight-saving error: exactly an
    hour, with a UTC-offset change between now (when it was written) or the other time and the expected time."""
    delta = round((actual - expected) / timedelta(minutes=1))
    tz = ZoneInfo(zone)
    offsets = {moment.astimezone(tz).utcoffset() for moment in (expected, actual, now)}
    return delta, abs(delta) == 60 and len(offsets) > 1


__all__ = ["CSV_COLUMNS", "DriftReport", "Finding", "shift_of", "to_csv"]
