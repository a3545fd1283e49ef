"""Python's cycle collector paused around bulk work (reference counting still frees
every object that is not in a cycle)."""

import contextlib
import gc


@contextlib.contextmanager
def paused():
    """Pause the cycle collector for the block, and restore its state after it.

    For a scan unit that creates and drops some 10^5 container objects (prepared
    records, key lists, pairs) that hold no cycle: the collector's generational passes
    over them cost a quarter to a half of such a unit (README, "Fuzzy duplicates"),
    for nothing to collect. A unit lasts seconds (the scan's per-call budget); cycles
    made meanwhile, by the ORM or by another thread of a threaded server, are collected
    by the first pass after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
