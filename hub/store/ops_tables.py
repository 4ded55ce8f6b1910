"""Operations tables: the alerts raised for functional administrators (one row per condition key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.tables import Base, UtcDateTime, utcnow


class AlertState(Base):
    """One alert condition: open while `resolved_at` is empty; `notified_at`/`resolved_notified_at` are the
    claims a process takes (by a conditional update) before it sends, so several processes never send twice."""

    __tablename__ = "alerts"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    #: `global` for conditions read from the store; a process name for that process's own background loops.
    scope: Mapped[str] = mapped_column(String(200), default="global")
    summary: Mapped[str] = mapped_column(Text)
    console_path: Mapped[str] = mapped_column(String(300), default="/")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_send_error: Mapped[str | None] = mapped_column(String(300))
