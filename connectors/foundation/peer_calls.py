"""Per-call bookkeeping every connector does the same way: PEER_CALLS by outcome and the peer's rate-limit headers.

Headroom goes through `hub.metrics.report_rate_limit`, a hook the composition root points at the console's
headroom store, so no connector imports `hub.console`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from hub.errors import DeliveryError, TransientError
from hub.metrics import PEER_CALLS, report_rate_limit


def outcome(error: BaseException | None) -> str:
    """`ok`, `transient` or `permanent` (any other exception counts as permanent)."""
    if error is None:
        return "ok"
    return "transient" if isinstance(error, TransientError) else "permanent"


def record(connector: str, error: DeliveryError | None) -> None:
    """Count one call to `connector` in PEER_CALLS by outcome."""
    PEER_CALLS.labels(connector=connector, outcome=outcome(error)).inc()


@contextmanager
def counted(connector: str) -> Iterator[None]:
    """Count the call made inside the block: by the DeliveryError it raises, else ok."""
    try:
        yield
    except DeliveryError as exc:
        record(connector, exc)
        raise
    record(connector, None)


def note_answer(connector: str, headers: Mapping[str, str]) -> None:
    """Hand a peer's answer headers to the rate-limit hook (RateLimit-Limit/-Remaining and the like)."""
    report_rate_limit(connector, headers)


__all__ = ["counted", "note_answer", "outcome", "record"]
