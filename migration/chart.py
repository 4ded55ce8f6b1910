"""Geometry of the report's bar chart: source vs target appointments per day (or week/month when long)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MAX_BARS = 62


@dataclass(frozen=True)
class Bar:
    label: str
    source: int
    target: int
    x: float
    source_height: float
    target_height: float


@dataclass(frozen=True)
class Chart:
    unit: str
    bars: list[Bar]
    width: float
    height: float
    plot_height: float
    max_value: int
    group_width: float
    ticks: list[tuple[float, int]]


def _bucket(day: str, unit: str) -> str:
    d = date.fromisoformat(day)
    if unit == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        return d.strftime("%Y-%m")
    return day


def build(per_day: Sequence[tuple[str, int, int]], *, plot_height: float = 220.0) -> Chart:
    """Bars for (day, source count, target count) rows sorted by day."""
    unit = "day"
    if len(per_day) > MAX_BARS:
        unit = "week" if len(per_day) <= MAX_BARS * 7 else "month"
    buckets: dict[str, list[int]] = {}
    for day, s, t in per_day:
        cell = buckets.setdefault(_bucket(day, unit), [0, 0])
        cell[0] += s
        cell[1] += t
    top = max([max(v) for v in buckets.values()] + [1])
    group = max(14.0, min(40.0, 900.0 / max(len(buckets), 1)))
    left = 48.0
    bars = [Bar(label, s, t, left + i * group, plot_height * s / top, plot_height * t / top)
            for i, (label, (s, t)) in enumerate(sorted(buckets.items()))]
    ticks = [(plot_height - plot_height * f, round(top * f)) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
    return Chart(unit, bars, left + group * len(bars) + 16, plot_height + 90, plot_height, top, group, ticks)


__all__ = ["Bar", "Chart", "build"]
