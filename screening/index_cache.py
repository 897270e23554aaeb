"""The built name index, kept on disk between runs so a single-name lookup answers at once.

Why: parsing the lists and building the index takes seconds to tens of seconds; an analyst
asking "is this name listed?" expects an answer in under one. The index is pickled under
``$DUALUSE_DATA_DIR/cache`` with a key made of everything that shapes it: which lists (the
bundled manifest, the snapshot store's active.json and lists.yml, or the given list files'
sizes and times) and the code and data that parse, normalise and index names. Any change
gives a new key, so a stale index is never used; older files are removed.

The pickle is this tool's own file in the user's data directory, written atomically; it is
not an interchange format and is never read from anywhere else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
import pickle
import platform
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

from screening import paths
from screening.config import ScreeningConfig
from screening.names.index import NameIndex

CACHE_PREFIX = "name-index-"
KEPT_FILES = 2
"""Index files kept: the current one and the one before (another process may be reading it)."""
_CODE_PATTERNS = ("names/**/*.py", "lists/**/*.py", "data/*.yml", "data/*.csv", "schema.py")


def _digest_files(digest: hashlib._Hash, files: Iterable[Path], *, content: bool) -> None:
    for file in sorted(files):
        digest.update(str(file).encode())
        if not file.is_file():
            digest.update(b"-")
        elif content:
            digest.update(file.read_bytes())
        else:
            stat = file.stat()
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())


def code_digest() -> str:
    """What turns list files into an index: parsers, normalisation, index code, their data."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    _digest_files(digest, (f for p in _CODE_PATTERNS for f in package.glob(p)), content=True)
    digest.update(f"{platform.python_version()} {np.__version__} {pa.__version__}".encode())
    return digest.hexdigest()


def lists_digest(config: ScreeningConfig) -> str:
    """Which lists :func:`screening.pipeline.load_reference_data` would load for ``config``:
    the given list files (sizes and times), else the snapshot store's active.json and
    lists.yml and the bundled manifest (contents; read directly, without importing the list
    parsers, to keep the lookup fast)."""
    digest = hashlib.sha256()
    if config.list_files:
        digest.update(b"files")
        for raw in config.list_files:
            path = Path(raw).resolve()
            folder = path if path.is_dir() else path.parent
            _digest_files(digest, (f for f in folder.rglob("*") if f.is_file()), content=False)
        return digest.hexdigest()
    store = Path(config.list_store) if config.list_store else paths.data_dir() / "lists"
    manifest = Path(paths.REFERENCE_DIR) / "manifest.yml"
    _digest_files(digest, [store / "active.json", store / "lists.yml", manifest], content=True)
    return digest.hexdigest()


def cache_file(config: ScreeningConfig) -> Path:
    key = hashlib.sha256(f"{lists_digest(config)}|{code_digest()}".encode()).hexdigest()[:24]
    return paths.data_dir() / "cache" / f"{CACHE_PREFIX}{key}.pickle"


def _flat_state(index: NameIndex) -> tuple[NameIndex, np.ndarray, np.ndarray]:
    """The index with its per-key row arrays as one array and offsets: tens of thousands of
    tiny arrays are what makes unpickling slow."""
    sizes = np.fromiter((len(rows) for rows in index.key_rows), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    flat = np.concatenate(index.key_rows) if index.key_rows else np.array([], dtype=np.int64)
    return dataclasses.replace(index, key_rows=[]), flat, offsets


def read_index(path: Path) -> NameIndex | None:
    """The pickled index, or None when absent or unreadable (then it is built again)."""
    if not path.is_file():
        return None
    gc.disable()  # tens of thousands of small objects: the collector would only slow loading
    try:
        with path.open("rb") as handle:
            index, flat_rows, offsets = pickle.load(handle)
        if not isinstance(index, NameIndex):
            return None
        return dataclasses.replace(index, key_rows=np.split(flat_rows, offsets[1:-1]))
    except (
        OSError,
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ImportError,
        TypeError,
        ValueError,
    ):
        return None
    finally:
        gc.enable()


def write_index(index: NameIndex, path: Path) -> None:
    """Pickle atomically; remove older index files. A read-only data dir only costs speed."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(_flat_state(index), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        older = sorted(
            (p for p in path.parent.glob(f"{CACHE_PREFIX}*.pickle") if p != path),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for stale in older[KEPT_FILES - 1 :]:
            stale.unlink(missing_ok=True)


def load_name_index(config: ScreeningConfig | None = None) -> tuple[NameIndex, bool]:
    """The name index of the configured lists, from the cache when it is current; returns the
    index and whether it came from the cache."""
    config = config or ScreeningConfig()
    path = cache_file(config)
    cached = read_index(path)
    if cached is not None:
        return cached, True
    from screening.pipeline import load_reference_data

    index = load_reference_data(config).index
    write_index(index, path)
    return index, False
