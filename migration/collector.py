"""Keep the garbage collector off what was alive before a long step: it scans only what the step makes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_before() -> Iterator[None]:
    """Objects alive now (modules, models, tables) go to the collector's permanent generation for the step.

    CPython's full collections scan every tracked object; the ~100,000 a migration process holds before plan
    or reconcile starts would be scanned again and again while millions of short-lived ones come and go.
    Afterwards they are handed back (`gc.unfreeze`), so nothing stays out of reach of the collector.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


__all__ = ["frozen_before"]
