"""Hand memory that a big step of a run freed back to the system.

pyarrow allocates from mimalloc, which keeps the pages freed by a step (a group-by, a join,
a table read and dropped) for its next allocations instead of returning them: measured, a
process that built and dropped 150 MB of Arrow strings still held them until asked to
release them. glibc's malloc (numpy arrays, large Python lists) likewise keeps freed heap
until trimmed. A run asks for both between its steps, so that what one step freed does not
stay counted in the process's resident memory while the next one runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from functools import cache

import pyarrow as pa


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # a Linux without glibc (musl)
        return None


def release_free_memory() -> None:
    """Return the memory Arrow's pool and the C heap hold freed (a few milliseconds)."""
    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):  # glibc only
        with contextlib.suppress(OSError):
            libc.malloc_trim(0)
