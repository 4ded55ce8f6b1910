"""Fault-injection knobs of a simulator and the seeded dice that apply them."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal["fail_next", "drop", "throttle", "error", "stall", "reject", "hold"]


class Faults(BaseModel):
    """What a simulator does wrong, on purpose; all zero means it behaves."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: int = Field(default=0, ge=0, description="Delay before every answer")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of calls answered error_status")
    error_status: int = Field(default=503, ge=400, le=599)
    throttle_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of calls answered 429")
    retry_after_s: int = Field(default=1, ge=0, description="Retry-After of a 429")
    unavailable_retry_after_s: int | None = Field(default=None, ge=0,
                                                  description="Retry-After of an injected 503 (none by default)")
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of calls cut off mid-answer")
    fail_next: list[int] = Field(default_factory=list, description="Statuses to answer next, in order")
    stall_rate: float = Field(default=0.0, ge=0.0, le=1.0,
                              description="Share of calls held stall_ms before they are processed (client timeouts)")
    stall_ms: int = Field(default=0, ge=0)
    reject_matching: list[str] = Field(default_factory=list,
                                       description="Calls whose path or body contains one of these: reject_status")
    reject_status: int = Field(default=400, ge=400, le=599, description="Answer to a call reject_matching hits")
    hold_matching: list[str] = Field(
        default_factory=list, description="Calls whose path or body contains one of these wait until the test "
        "releases them (`FaultInjector.release_held`), then are carried out: a write that lands after the client "
        "gave up")


@dataclass(frozen=True)
class FaultDecision:
    """The fault to inject into one call (None: answer normally)."""

    kind: FaultKind | None = None
    status: int | None = None
    retry_after_s: int | None = None
    latency_ms: int = 0
    stall_ms: int = 0


class FaultInjector:
    """Holds the knobs (thread-safe) and decides per call, with a seeded `random.Random`."""

    def __init__(self, faults: Faults | None = None, *, seed: int = 0) -> None:
        self._faults = faults or Faults()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._held = threading.Condition()
        self._holding = 0
        self._release = threading.Event()

    @property
    def faults(self) -> Faults:
        """A copy of the current knobs."""
        with self._lock:
            return self._faults.model_copy(deep=True)

    def set(self, faults: Faults) -> Faults:
        """Replace all knobs."""
        with self._lock:
            self._faults = faults.model_copy(deep=True)
            return self._faults.model_copy(deep=True)

    def update(self, **changes: object) -> Faults:
        """Change some knobs (validated), keep the rest."""
        with self._lock:
            merged = {**self._faults.model_dump(), **changes}
            self._faults = Faults.model_validate(merged)
            return self._faults.model_copy(deep=True)

    def reset(self) -> None:
        """Back to a well-behaved peer."""
        self.set(Faults())

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected since start (or `reset_counts`)."""
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def hold(self, timeout: float = 600.0) -> None:
        """Block one held call until `release_held` (bounded, so a forgotten release cannot hang a server)."""
        with self._held:
            self._holding += 1
            self._held.notify_all()
        self._release.wait(timeout)

    def wait_held(self, count: int, timeout: float) -> bool:
        """Wait until `count` calls are being (or were) held."""
        with self._held:
            return self._held.wait_for(lambda: self._holding >= count, timeout)

    def release_held(self) -> None:
        """Let every held call (and any later one) go on to be carried out."""
        self._release.set()

    def decide(self, text: str = "") -> FaultDecision:
        """Roll the dice for one call (`text`: its path and body, for `reject_matching`), and count the fault."""
        with self._lock:
            decision = self._decide(text)
            if decision.kind is not None:
                self._counts[decision.kind] += 1
            return decision

    def _retry_after(self, status: int) -> int | None:
        """The Retry-After an injected `status` carries: 429 always, 503 when configured."""
        if status == 429:
            return self._faults.retry_after_s
        return self._faults.unavailable_retry_after_s if status == 503 else None

    def _decide(self, text: str) -> FaultDecision:
        """A planted rejection first, then a queued `fail_next` status, then the rates."""
        f = self._faults
        if f.reject_matching and any(m in text for m in f.reject_matching):
            return FaultDecision("reject", f.reject_status, latency_ms=f.latency_ms)
        if f.hold_matching and any(m in text for m in f.hold_matching):
            return FaultDecision("hold", latency_ms=f.latency_ms)
        if f.fail_next:
            status = f.fail_next.pop(0)
            return FaultDecision("fail_next", status, self._retry_after(status), f.latency_ms)
        # Always draw three numbers so one knob does not shift another's sequence.
        drop, throttle, error = self._rng.random(), self._rng.random(), self._rng.random()
        if drop < f.drop_rate:
            return FaultDecision("drop", latency_ms=f.latency_ms)
        if throttle < f.throttle_rate:
            return FaultDecision("throttle", 429, f.retry_after_s, f.latency_ms)
        if error < f.error_rate:
            return FaultDecision("error", f.error_status, self._retry_after(f.error_status), f.latency_ms)
        if f.stall_rate and self._rng.random() < f.stall_rate:  # drawn only when used: old sequences hold
            return FaultDecision("stall", latency_ms=f.latency_ms, stall_ms=f.stall_ms)
        return FaultDecision(latency_ms=f.latency_ms)
