"""Settings of the circuit breaker per peer and of bulk replay pacing."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BreakerSettings(BaseModel):
    """A peer opens after `failure_threshold` transient failures in a row (of one process's calls); its deliveries
    then wait (no attempt spent) until a half-open probe after `open_seconds` (doubled after each failed probe, at
    most `max_open_seconds`; a failed probe whose answer had a Retry-After waits that long instead) succeeds.
    `replay_rates` paces bulk replay per peer (deliveries per second)."""

    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1)
    open_seconds: float = Field(default=30.0, gt=0)
    max_open_seconds: float = Field(default=600.0, gt=0)
    #: How long one probe may take before another delivery may probe instead.
    probe_seconds: float = Field(default=60.0, gt=0)
    #: How long a process trusts its last read of the breaker states (one SELECT per this many seconds).
    cache_seconds: float = Field(default=1.0, ge=0)
    replay_rate_per_second: float = Field(default=20.0, gt=0)
    replay_rates: dict[str, float] = Field(default_factory=lambda: {"salesforce": 10.0, "outlook": 4.0})
    replay_page_size: int = Field(default=500, ge=1, le=10_000)

    def rate_for(self, peer: str | None) -> float:
        """Deliveries per second a bulk replay sends to `peer` (the default when none or unknown)."""
        return self.replay_rates.get(peer or "", self.replay_rate_per_second)
