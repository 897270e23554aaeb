"""The cyclic garbage collector held off while a cached index is unpickled.

Why: unpickling a name index creates hundreds of thousands to millions of long-lived objects,
none of them garbage, and the collector would walk them again and again while they are made:
0.70 s against 0.29 s for the bundled lists' index, measured. Both index caches (the run's and
the single-name lookup's) load through :func:`reading_long_lived`, which also sets what was
read aside before the collector is on again. And the other way round: what parsing lists
leaves is garbage in cycles, collected at once (:func:`collect_parse_cycles`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Collection off inside the block; on again after only if it was on before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def reading_long_lived() -> Iterator[None]:
    """:func:`paused`, and on leaving without error, the objects that exist then set aside from
    collection (gc.freeze) before it is on again: what the block read (an index) lives as
    long as the process and holds no garbage, yet the collector's first pass after it would
    walk every object of it (0.14 s after the bundled lists' index is read, measured).
    Objects set aside are still freed when no longer referenced; only cycles among them wait
    for gc.unfreeze (screening.names.bulk unfreezes after matching). Only when memory is
    reclaimed changes, never a result."""
    was_enabled = gc.isenabled()
    with paused():
        yield
        if was_enabled:
            gc.freeze()


def collect_parse_cycles() -> None:
    """Free the reference cycles that parsing lists leaves behind (XML trees, spreadsheet
    cells): only a collection frees them, and a screening run would otherwise carry them to its
    end (661k objects, 125 MB after parsing the bundled lists, measured). Called once after a
    set of lists is parsed, not after each list (each collection walks the whole heap)."""
    gc.collect()
