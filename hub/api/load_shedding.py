"""Load shedding at the intake (NL GOV webhook guideline): 429 + Retry-After while the backlog is too long."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from hub import metrics
from hub.api.problems import Problem
from hub.bootstrap import Hub
from hub.store.tables import Delivery, DeliveryStatus

#: The backlog is counted at most this often (seconds); requests in between use the last count.
REFRESH_SECONDS = 1.0


class Backlog:
    """The intake's backlog: deliveries stored but not yet attempted (status `pending`), across all workers."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._lock = threading.Lock()
        self._count = 0
        self._counted_at = float("-inf")

    def count(self) -> int:
        """The pending deliveries, counted again when the last count is older than REFRESH_SECONDS."""
        with self._lock:
            if time.monotonic() - self._counted_at < REFRESH_SECONDS:
                return self._count
            try:
                with self._hub.db.reading() as s:
                    self._count = s.scalar(select(func.count()).select_from(Delivery)
                                           .where(Delivery.status == DeliveryStatus.PENDING)) or 0
            except SQLAlchemyError:
                pass  # the store is away: the request's own store call answers 503
            self._counted_at = time.monotonic()
            return self._count

    async def admit(self) -> None:
        """Raise 429 + Retry-After when the backlog is above `intake_max_backlog`; nothing is read or stored."""
        settings = self._hub.settings
        # The last count while it is fresh (no thread hop per request); a worker thread counts again.
        fresh = time.monotonic() - self._counted_at < REFRESH_SECONDS
        pending = self._count if fresh else await run_in_threadpool(self.count)
        if pending > settings.intake_max_backlog:
            metrics.EVENTS_SHED.inc()
            raise Problem(429, f"the hub's backlog ({pending} pending deliveries) is above its bound of "
                          f"{settings.intake_max_backlog}; nothing was stored, send again later",
                          code="backlog-full", headers={"Retry-After": str(settings.intake_retry_after_seconds)})
