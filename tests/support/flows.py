"""A scriptable test flow: records what it applied and fails on command."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError, TransientError
from hub.registry import FlowRegistry, FlowSpec


@dataclass
class Recorder:
    """What the flow applied, per (appointment, version); plus a queue of failures to raise next."""

    applied: list[tuple[str, int]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self, event: InboundEvent, ctx: FlowContext) -> str | None:
        with self.lock:
            self.calls += 1
            if self.failures:
                raise self.failures.pop(0)
        ae = event.appointment_event
        assert ae is not None
        with self.lock:
            self.applied.append((ae.data.id, ae.data.version))
        return None


def registry_with(recorder: Recorder, *, name: str = "recorder", ordered: bool = True,
                  extra: list[FlowSpec] | None = None) -> FlowRegistry:
    registry = FlowRegistry()
    registry.add(FlowSpec(name, ("nl.tilburg.afspraken.appointment.*",), recorder.handler,
                          purpose="test: record appointment snapshots", ordered=ordered))
    for spec in extra or []:
        registry.add(spec)
    return registry


def transient(reason: str = "peer timeout", retry_after: float | None = None) -> TransientError:
    return TransientError(reason, retry_after)


def permanent(reason: str = "peer said 400 INVALID_FIELD") -> PermanentError:
    return PermanentError(reason)


# --- A flow for the kill test, loaded in a subprocess through AFSPRAKENHUB_FLOW_MODULES ---------------

BLOCKING_REGISTRY_NAME = "blocking"


def _blocking_handler(event: InboundEvent, ctx: FlowContext) -> str | None:
    """Writes `started`, then waits for `release` (a file) before writing an effect line.

    The test kills the process while it waits; the effect file then shows whether the work
    was completed once or twice.
    """
    workdir = Path(os.environ["AFSPRAKENHUB_TEST_WORKDIR"])
    (workdir / f"started-{event.delivery_id}-{event.attempt}").write_text(str(os.getpid()))
    release = workdir / "release"
    wait_for(release.exists, timeout=60)
    with (workdir / "effects").open("a") as fh:
        fh.write(f"{event.event.id}\n")
    return None


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait until `predicate()` holds (event-driven where possible; this polls a condition)."""
    done = threading.Event()
    deadline = timeout
    step = 0.02
    while deadline > 0:
        if predicate():
            return True
        done.wait(step)
        deadline -= step
    return predicate()


def register_blocking(registry: FlowRegistry) -> None:
    registry.add(FlowSpec(BLOCKING_REGISTRY_NAME, ("nl.tilburg.afspraken.appointment.*",), _blocking_handler,
                          purpose="test: block until released"))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.value = start or datetime(2027, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += timedelta(seconds=seconds)
