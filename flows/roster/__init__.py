"""The roster flow: RostarCAS shifts → the register's staffing blocks (jobs `roster` and `roster-full`)."""

from __future__ import annotations

from flows.roster.job import FULL_JOB, JOB, RosterRun, sync_roster

__all__ = ["FULL_JOB", "JOB", "RosterRun", "sync_roster"]
