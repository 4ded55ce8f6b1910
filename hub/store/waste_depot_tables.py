"""The waste-depot gate's own tables: bookings kept for the gate, the pass list, visits and scans.

No names, BSNs or pass numbers: passes are stored by their pseudonymous key (HMAC of the pass number).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.tables import Base, UtcDateTime, utcnow


class WasteDepotBooking(Base):
    """A waste-depot appointment as the gate needs it (from events, or the register read as safety net)."""

    __tablename__ = "waste_depot_bookings"
    __table_args__ = (Index("ix_waste_depot_bookings_seq", "seq"),)
    appointment_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    start: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    location_id: Mapped[str] = mapped_column(String(200))
    qr_code: Mapped[str] = mapped_column(String(500), unique=True)
    pass_key: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: `WasteDepotState.seq` of the transaction that last wrote the row (the gate index reads what is newer).
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class WasteDepotPass(Base):
    """One pass of the pass list, by pseudonymous key: valid or void, and visits used elsewhere this year."""

    __tablename__ = "waste_depot_passes"
    pass_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    visits_used: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WasteDepotVisit(Base):
    """An allowed visit: at most one per appointment (the primary key makes a second one impossible)."""

    __tablename__ = "waste_depot_visits"
    __table_args__ = (Index("ix_waste_depot_visits_pass_year", "pass_key", "year"),
                      Index("ix_waste_depot_visits_seq", "seq"))
    appointment_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    pass_key: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    gate_id: Mapped[str] = mapped_column(String(100))
    allowed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    visits_left: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class WasteDepotState(Base):
    """One row: the change sequence every transaction that writes bookings or visits increments (the row lock
    orders them, so a larger number is committed later) and the pass list's version (bumped on each swap). Each
    process's gate index polls this row and reads only what changed."""

    __tablename__ = "waste_depot_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    passes_version: Mapped[int] = mapped_column(BigInteger)


class WasteDepotScan(Base):
    """Every gate check and its decision (the console's list of today's scans)."""

    __tablename__ = "waste_depot_scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    gate_id: Mapped[str] = mapped_column(String(100))
    appointment_id: Mapped[str | None] = mapped_column(String(200))
    pass_key: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(30))
