"""What a RostarCAS export holds once read: shifts in local wall-clock time, and the rows that were refused."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field


class RowProblem(BaseModel):
    """A row (CSV line or JSON item) that could not be used: where it is and why; never its content."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    reason: str


class Shift(BaseModel):
    """One roster activity of one employee; times are wall-clock times in the roster's time zone.

    `end` at or before `start` means the activity ends the next day (a night shift).
    """

    model_config = ConfigDict(frozen=True)

    shift_id: str = Field(min_length=1, max_length=150)
    employee_id: str = Field(min_length=1)
    day: date
    start: time
    end: time
    activity_code: str = Field(min_length=1)
    location_code: str = Field(min_length=1)
    counter_code: str | None = None
    file: str = ""
    line: int = 0


class RosterExport(BaseModel):
    """One export: its source (file name or request), when RostarCAS made it, its shifts and refused rows."""

    model_config = ConfigDict(frozen=True)

    source: str
    generated_at: datetime | None = None
    shifts: list[Shift] = Field(default_factory=list)
    problems: list[RowProblem] = Field(default_factory=list)


__all__ = ["RosterExport", "RowProblem", "Shift"]
