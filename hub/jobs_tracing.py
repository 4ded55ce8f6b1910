"""A scheduled job as a processing: its own trace (a root span) and the LDV processing its records share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hub import ldv, tracing
from hub.ldv import Processing

if TYPE_CHECKING:
    from hub.bootstrap import Hub


@contextmanager
def job_processing(hub: Hub, name: str, dry_run: bool) -> Iterator[Processing]:
    """The job's span, current for the block (a child of the caller's span when there is one, e.g. a console
    "run now"; else a new trace), and its processing (activity `ldv.processing_activities[<job>]`)."""
    with tracing.span_in(f"job {name}", attributes={"afsprakenhub.job": name, "afsprakenhub.dry_run": dry_run}) as span:
        sc = span.get_span_context()
        parent = span.parent  # type: ignore[attr-defined]
        processing = Processing(name=f"job {name}", activity=hub.settings.ldv.activity_for(name), subject=None,
                                trace_id=f"{sc.trace_id:032x}", span_id=f"{sc.span_id:016x}",
                                parent_span_id=f"{parent.span_id:016x}" if parent is not None else None,
                                start_time=hub.now())
        with ldv.running(processing):
            yield processing
