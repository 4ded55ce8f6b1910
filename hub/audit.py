"""The audit log: who, what, why and when; references only, never personal data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.store.db import Database
from hub.store.tables import AuditRecord, utcnow


class AuditLog:
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._now = now

    def record(self, *, actor: str, action: str, purpose: str, outcome: str,
               flow: str | None = None, references: dict[str, Any] | None = None) -> None:
        with self._db.one_statement() as s:  # one INSERT
            s.add(AuditRecord(at=self._now(), actor=actor, flow=flow, action=action, purpose=purpose,
                              references=references or {}, outcome=outcome))
