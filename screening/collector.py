"""The cyclic garbage collector held off while a cached index is unpickled.

Why: unpickling a name index creates hundreds of thousands to millions of long-lived objects,
none of them garbage, and the collector would walk them again and again while they are made:
0.70 s against 0.29 s for the bundled lists' index, measured. Both index caches (the run's and
the single-name lookup's) load through :func:`paused`.
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
