"""The survey flow's own tables: delivered batches per visit date and each respondent's last invitation.

Candidates (one per appointment) stay in the link table: they are per-appointment flow state like any other
link, so `trace` shows them and the store's retention purge covers their personal data.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.tables import Base, UtcDateTime, utcnow


class SurveyBatchRow(Base):
    """One visit date's invitation file, delivered to KCM (at most one per date, unless forced again)."""

    __tablename__ = "survey_batches"
    visit_date: Mapped[date] = mapped_column(Date, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    invitations: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SurveyRespondentRow(Base):
    """A respondent's last invitation date, by pseudonymous key (HMAC; no personal data)."""

    __tablename__ = "survey_respondents"
    respondent_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    last_invited: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
