"""`DriftSettings`: the `drift` section of the hub settings (AFSPRAKENHUB_DRIFT__…); imports nothing of the product."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DriftSettings(BaseModel):
    """Nightly drift reconciliation: how far ahead it looks, and how fast `--repair` queues its fixes."""

    days: int = Field(default=14, ge=1, le=366)
    #: Repairs are queued at most this many per second (spread with queue delays), so a peer is not flooded.
    repairs_per_second: float = Field(default=5.0, gt=0)
    #: The nightly job repairs what it finds (off: it only reports).
    repair: bool = False
