"""The roster's own state in the hub's job_state table (JobState.watermark of job `roster`).

Per staffing block (one per shift): its content hash and the block as pushed; plus the time of the last
applied export (the watermark that makes an older export a no-op) and the outstanding capacity conflicts.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from flows.roster.conflicts import Conflict
from flows.roster.plan import PushedBlock
from hub.bootstrap import Hub
from hub.store.tables import JobState

STATE_JOB = "roster"
STATE_VERSION = 1


class RosterState(BaseModel):
    version: int = STATE_VERSION
    exported_at: datetime | None = None
    source: str | None = None
    last_push_at: datetime | None = None
    blocks: dict[str, PushedBlock] = Field(default_factory=dict)
    conflicts: list[Conflict] = Field(default_factory=list)


def load_state(hub: Hub) -> RosterState:
    with hub.db.unit_of_work() as s:
        row = s.get(JobState, STATE_JOB)
        raw = row.watermark if row is not None else None
    if not raw or raw.get("version") != STATE_VERSION:
        return RosterState()
    return RosterState.model_validate(raw)


def save_state(hub: Hub, state: RosterState) -> None:
    with hub.db.unit_of_work() as s:
        row = s.get(JobState, STATE_JOB) or JobState(job=STATE_JOB)
        s.add(row)
        row.watermark = state.model_dump(mode="json")


__all__ = ["STATE_JOB", "RosterState", "load_state", "save_state"]
