"""Progress bars (rich) for every step: counts, rate and ETA on stderr; silent when asked to be."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Tick(Protocol):
    """Advance a bar: `tick(n)`; `tick.total(n)` when the total becomes known."""

    def __call__(self, advance: int = 1) -> None: ...

    def total(self, total: int | None) -> None: ...


class _Bar:
    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress, self._task = progress, task

    def __call__(self, advance: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, advance)

    def total(self, total: int | None) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=total)


@contextmanager
def bar(description: str, total: int | None, *, enabled: bool = True) -> Iterator[Tick]:
    """A progress bar with counts and ETA on stderr (nothing when `enabled` is False)."""
    if not enabled:
        yield _Bar(None, None)
        return
    progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TaskProgressColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=False)
    with progress:
        task = progress.add_task(description, total=total)
        yield _Bar(progress, task)


__all__ = ["Tick", "bar"]
