"""`StoreLimits`: how long any store call may wait (the `store` section, AFSPRAKENHUB_STORE__…).

Free of imports from the rest of the product, because `hub.settings` imports it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class StoreLimits(BaseModel):
    """Bounds on every wait for the store, so a locked or restarting store gives a 503, not a hang."""

    #: a lock held by someone else: PostgreSQL `lock_timeout`; SQLite `busy_timeout` and this process's write queue
    lock_timeout_seconds: float = Field(default=10.0, gt=0)
    #: PostgreSQL `statement_timeout` (0 = none); long maintenance (`purge` of a big backlog) may need more
    statement_timeout_seconds: float = Field(default=60.0, ge=0)
    #: PostgreSQL: opening a connection, and waiting for a free one in the pool
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    #: PostgreSQL: a pooled connection older than this is closed and opened again (a connection a firewall or
    #: proxy forgot without closing it; one the server closed is replaced at checkout, hub.store.pool_health)
    pool_recycle_seconds: float = Field(default=1800.0, gt=0)
    #: the `Retry-After` of the 503 answer when the store could not answer in time
    retry_after_seconds: int = Field(default=5, ge=1)


__all__ = ["StoreLimits"]
