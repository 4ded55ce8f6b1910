"""The JSON export: `{"generatedAt", "timeZone", "shifts": [...], "next"}`; bad items reported by position."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from connectors.rostarcas.models import RowProblem, Shift
from connectors.rostarcas.rows import parse_row


class ExportPage(BaseModel):
    """The envelope of one page; items are read one by one so one bad item does not stop the rest."""

    model_config = ConfigDict(extra="allow")

    generatedAt: AwareDatetime
    timeZone: str = "Europe/Amsterdam"
    shifts: list[Any]
    next: str | None = None


def parse_page(body: Any, source: str, offset: int = 0) -> tuple[ExportPage, list[Shift], list[RowProblem]]:
    """Validate the envelope (a bad envelope raises ValidationError) and read each item.

    An item's `line` is its 1-based position in the whole export (`offset` = items on earlier pages).
    """
    page = ExportPage.model_validate(body)
    shifts: list[Shift] = []
    problems: list[RowProblem] = []
    for index, item in enumerate(page.shifts, start=offset + 1):
        if not isinstance(item, dict):
            problems.append(RowProblem(file=source, line=index, reason="item is not an object"))
            continue
        result = parse_row(item, source, index)
        if isinstance(result, RowProblem):
            problems.append(result)
        else:
            shifts.append(result)
    return page, shifts, problems


def envelope_problem(exc: ValidationError) -> str:
    """Field paths of an invalid envelope (no values)."""
    fields = sorted({".".join(str(p) for p in err["loc"]) or "body" for err in exc.errors()})
    return "invalid: " + ", ".join(fields[:10])


__all__ = ["ExportPage", "envelope_problem", "parse_page"]
