"""Keep the cyclic garbage collector's full collections short in a serving process.

A full (generation-2) collection walks every tracked object of the process. After start-up that is ~190 000
objects (modules, the app, the gate index's 20 000 bookings): each full collection stopped every request for
~90 ms on a quiet machine and up to 260 ms under load (issue 28). `gc.freeze()` moves what lives at that moment
into the permanent generation, which collections never walk; objects made later are collected as before.

Only a process that serves requests freezes: `serving()` marks it so (`afsprakenhub serve`, the benchmarks'
servers) and freezes what start-up built; later calls of `freeze_long_lived` (the app's lifespan, the gate
index's first load, the end of a data-platform export) freeze again there and do nothing anywhere else. A test
run or a CLI command builds and drops hubs by the hundred: frozen, they would never be collected.
"""

from __future__ import annotations

import gc

_serving = False


def serving() -> int:
    """Mark this process as serving requests and freeze what lives now; returns how many objects are frozen."""
    global _serving
    _serving = True
    return freeze_long_lived()


def stop_serving() -> None:
    """Forget `serving()` and thaw what it froze (a test suite that ran `serve` in its own process)."""
    global _serving
    if _serving:
        _serving = False
        gc.unfreeze()


def freeze_long_lived() -> int:
    """In a serving process: collect what is garbage now, then freeze every surviving object. Elsewhere nothing.
    Returns how many objects are frozen."""
    if _serving:
        gc.collect()
        gc.freeze()
    return gc.get_freeze_count()
