"""Rate-limit headroom a peer reports in its answers, noted per connector (light: connectors import it).

`peer_stats` writes what was noted to the store with the call counts. Peers that send the IETF
`RateLimit-Limit`/`RateLimit-Remaining` headers (or the `X-RateLimit-…` variants; Graph does for some
Outlook workloads) are recorded by `note_rate_limit_headers`; Salesforce's `Sforce-Limit-Info` already
goes to a gauge that `peer_stats` reads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

lock = threading.Lock()
noted: dict[str, tuple[int, int]] = {}  # connector → (used, limit)


def note_headroom(connector: str, used: int, limit: int) -> None:
    """Record a peer's reported usage against its limit."""
    with lock:
        noted[connector] = (used, limit)


def _first_int(value: str | None) -> int | None:
    """`100`, `100, 100;w=60` (structured field lists) → 100."""
    if not value:
        return None
    head = value.split(",")[0].split(";")[0].strip()
    return int(head) if head.isdigit() else None


def note_rate_limit_headers(connector: str, headers: Mapping[str, str]) -> None:
    """Note headroom from `RateLimit-Limit`/`-Remaining` (or `X-RateLimit-…`) when the answer has both."""
    for prefix in ("ratelimit-", "x-ratelimit-"):
        limit = _first_int(headers.get(f"{prefix}limit"))
        remaining = _first_int(headers.get(f"{prefix}remaining"))
        if limit and remaining is not None:
            note_headroom(connector, max(0, limit - remaining), limit)
            return


__all__ = ["note_headroom", "note_rate_limit_headers", "noted"]
