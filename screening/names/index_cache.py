"""Built name indexes kept on disk between runs, keyed by the lists and the matcher's code.

Building the index (normalising every list name, the word matrices, the known words) takes
seconds on every ``match-names`` or ``run``, for lists that change once a day at most. The built
index is pickled under ``<data dir>/cache/name_index/`` and reused when the list table (its
Arrow bytes), the entity types and the matcher's code and data files (``screening/names``,
``screening/data``) are all the same: any change to them gives a new key, so a stale index is
never read. ``DUALUSE_NAME_INDEX_CACHE=0`` turns it off. A cache file that cannot be read is
ignored and rebuilt; only the newest ``KEEP`` files are kept. The files are written by this
tool into the user's own data directory and read only from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from screening import collector
from screening.paths import PACKAGE_DATA_DIR, data_dir

CACHE_FORMAT = 1
KEEP = 3
_CODE_DIRS = (Path(__file__).resolve().parent, PACKAGE_DATA_DIR)


def enabled() -> bool:
    return os.environ.get("DUALUSE_NAME_INDEX_CACHE", "1") not in ("0", "false", "no")


def cache_dir() -> Path:
    return data_dir() / "cache" / "name_index"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the matcher's source and data files: a code change invalidates the cache."""
    digest = hashlib.sha256(f"format {CACHE_FORMAT}".encode())
    for folder in _CODE_DIRS:
        for path in sorted(folder.glob("*")):
            if path.suffix in (".py", ".yml", ".yaml", ".csv", ".json", ".txt") and path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def key_for(list_table: pa.Table, entity_types: Sequence[str]) -> str:
    """The cache key of an index over ``list_table``."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update("|".join(entity_types).encode())
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, list_table.schema) as writer:
        writer.write_table(list_table)
    digest.update(memoryview(sink.getvalue()))
    return digest.hexdigest()[:32]


def load(key: str) -> Any | None:
    """The cached index for ``key``, or None (absent, disabled, unreadable)."""
    path = cache_dir() / f"{key}.pickle"
    if not enabled() or not path.is_file():
        return None
    try:
        with path.open("rb") as fh, collector.reading_long_lived():
            index = pickle.load(fh)
    except Exception:  # a truncated or foreign file: rebuild rather than fail the run
        return None
    return index


def store(key: str, index: object) -> None:
    """Write the index atomically; keep the newest KEEP files. Never fails the run."""
    if not enabled():
        return
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, folder / f"{key}.pickle")
        files = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError, NameError):
            Path(fh.name).unlink(missing_ok=True)
