"""Background loops that survive any error, with a heartbeat per loop for readiness and metrics.

Every background loop of a process (sweeper, scheduler, connector-statistics flusher) runs through
`run_loop`: a pass that raises is logged once per failure streak through the redacting logger (never a raw
traceback on stderr), the loop backs off (interval * 2^n, at most `MAX_BACKOFF_INTERVALS` intervals) and goes
on. Each completed pass stamps the loop's heartbeat; `/health/ready` answers 503 when a loop has not
completed a pass for `STALE_AFTER_INTERVALS` intervals, and `/metrics` shows each loop's last pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import StatementError

from hub.logging import redact_text

log = structlog.get_logger("afsprakenhub.loops")

#: A loop that has not completed a pass in this many intervals makes the process not ready.
STALE_AFTER_INTERVALS = 5
#: The longest back-off after failed passes, in intervals (below the staleness limit on purpose: a loop that
#: recovers is ready again after one good pass).
MAX_BACKOFF_INTERVALS = 4

LAST_PASS = Gauge("afsprakenhub_loop_last_pass_timestamp_seconds",
                  "When a background loop last completed a pass (Unix time)", ["loop"])
FAILED_PASSES = Counter("afsprakenhub_loop_failed_passes_total", "Background loop passes that raised", ["loop"])


@dataclass
class Heartbeat:
    """One loop's state: its interval, when it last completed a pass (monotonic) and its failure streak."""

    name: str
    interval: float
    last_pass: float
    failures: int = 0
    last_error: str | None = None


class LoopRegistry:
    """The heartbeats of this process's loops (thread-safe); `clock` is monotonic seconds. Each running loop
    has its own heartbeat, so two loops of one name (two hubs in one process) never clear each other's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._beats: dict[int, Heartbeat] = {}
        self._lock = threading.Lock()

    def register(self, name: str, interval: float) -> Heartbeat:
        """A loop starts: it counts as having passed now, so a fresh process is ready."""
        beat = Heartbeat(name, interval, self._clock())
        with self._lock:
            self._beats[id(beat)] = beat
        LAST_PASS.labels(loop=name).set_to_current_time()
        return beat

    def unregister(self, beat: Heartbeat) -> None:
        """A loop stopped on purpose: it no longer counts for readiness."""
        with self._lock:
            self._beats.pop(id(beat), None)

    def passed(self, beat: Heartbeat) -> int:
        """Stamp a completed pass; the length of the failure streak it ends."""
        with self._lock:
            streak = beat.failures
            beat.last_pass, beat.failures, beat.last_error = self._clock(), 0, None
        LAST_PASS.labels(loop=beat.name).set_to_current_time()
        return streak

    def failed(self, beat: Heartbeat, error: str) -> int:
        """Count a failed pass; the length of the failure streak."""
        FAILED_PASSES.labels(loop=beat.name).inc()
        with self._lock:
            beat.failures += 1
            beat.last_error = error
            return beat.failures

    def snapshot(self) -> list[Heartbeat]:
        with self._lock:
            return [Heartbeat(**vars(b)) for b in self._beats.values()]

    def stale(self) -> list[str]:
        """Names of loops without a completed pass in `STALE_AFTER_INTERVALS` intervals."""
        now = self._clock()
        return sorted({b.name for b in self.snapshot() if now - b.last_pass > STALE_AFTER_INTERVALS * b.interval})


#: This process's loops.
LOOPS = LoopRegistry()


def describe(error: BaseException) -> str:
    """An exception as one redacted line: its type and the first line of its message, no traceback. For a
    database error only the driver's own first line: SQLAlchemy appends the statement and its parameters."""
    message = str(error.orig) if isinstance(error, StatementError) and error.orig is not None else str(error)
    first = message.strip().splitlines()[0] if message.strip() else ""
    return redact_text(f"{type(error).__name__}: {first}")[:300]


def run_loop(name: str, interval: float, step: Callable[[], object], stop: threading.Event,
             registry: LoopRegistry | None = None) -> None:
    """Run `step` every `interval` seconds until `stop` is set, whatever it raises."""
    loops = registry or LOOPS
    beat = loops.register(name, interval)
    delay = interval
    try:
        while not stop.wait(delay):
            try:
                step()
            except Exception as exc:
                error = describe(exc)
                streak = loops.failed(beat, error)
                delay = interval * min(2 ** streak, MAX_BACKOFF_INTERVALS)
                if streak == 1:  # once per streak: a store outage does not flood the log
                    log.warning("loop.failed", loop=name, error=error, retry_in=round(delay, 3))
                else:
                    log.debug("loop.failed_again", loop=name, error=error, failures=streak)
                continue
            streak = loops.passed(beat)
            if streak:
                log.info("loop.recovered", loop=name, failed_passes=streak)
            delay = interval
    finally:
        loops.unregister(beat)


def start_loop(name: str, interval: float, step: Callable[[], object], stop: threading.Event,
               registry: LoopRegistry | None = None) -> threading.Thread:
    """`run_loop` in a daemon thread named `afsprakenhub-<name>`."""
    thread = threading.Thread(target=run_loop, args=(name, interval, step, stop, registry),
                              name=f"afsprakenhub-{name}", daemon=True)
    thread.start()
    return thread
