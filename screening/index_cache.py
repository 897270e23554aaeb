"""The built name index, kept on disk between runs so a single-name lookup answers at once.

Why: parsing the lists and building the index takes seconds to tens of seconds; an analyst
asking "is this name listed?" expects an answer in under one. The index is pickled under
``$DUALUSE_DATA_DIR/cache`` with a key made of everything that shapes it: which lists (the
bundled manifest, the snapshot store's active.json and lists.yml, or the given list files'
sizes and times) and the code and data that parse, normalise and index names. Any change
gives a new key, so a stale index is never used; older files are removed.

The file is laid out for a lookup that touches a handful of the index's tens of thousands of
names: the per-name objects (normalised keys, their listed countries) are stored as pickled
chunks, unpickled only when a candidate in that chunk is read, the per-name row numbers as
one array with offsets, and the identifier table and typo buckets pickled apart, read when a
query first needs them. Unpickling every key at once was most of a warm lookup's time.

The pickle is this tool's own file in the user's data directory, written atomically; it is
not an interchange format and is never read from anywhere else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import platform
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import numpy as np
import pyarrow as pa

from screening import collector, paths

if TYPE_CHECKING:  # the configuration (pydantic) is imported only when a caller passes one
    from screening.config import ScreeningConfig
    from screening.names.index import NameIndex

CACHE_PREFIX = "lookup-index-"
"""Not the run's "name-index-" files (screening.pipeline), which another writer prunes."""
KEPT_FILES = 2
"""Index files kept: the current one and the one before (another process may be reading it)."""
FILE_FORMAT = "dualuse name index, chunked keys, 3"
CHUNK_SIZE = 16
"""Keys per pickled chunk: a candidate costs the unpickling of this many keys at most."""
_CODE_PATTERNS = (
    "names/**/*.py",
    "lists/**/*.py",
    "data/*.yml",
    "data/*.csv",
    "schema.py",
    "index_cache.py",
)
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class ChunkedList(Sequence[T], Generic[T]):
    """A list stored as pickled chunks, each unpickled the first time one of its items is read.

    Read-only and list-like (len, index, iterate, slice); pickled again (to a process pool, a
    Dask worker) it travels as a plain list."""

    def __init__(self, chunks: Sequence[bytes], length: int, chunk_size: int) -> None:
        self._chunks = list(chunks)
        self._loaded: list[list[T] | None] = [None] * len(self._chunks)
        self._length = length
        self._chunk_size = chunk_size

    @classmethod
    def of(cls, items: Sequence[T], chunk_size: int = CHUNK_SIZE) -> ChunkedList[T]:
        chunks = [
            pickle.dumps(list(items[start : start + chunk_size]), pickle.HIGHEST_PROTOCOL)
            for start in range(0, len(items), chunk_size)
        ]
        return cls(chunks, len(items), chunk_size)

    def parts(self) -> tuple[list[bytes], int, int]:
        """(chunks, length, chunk size): what ``ChunkedList(*parts)`` is built from again."""
        return self._chunks, self._length, self._chunk_size

    def _chunk(self, number: int) -> list[T]:
        chunk = self._loaded[number]
        if chunk is None:
            chunk = self._loaded[number] = pickle.loads(self._chunks[number])
        return chunk

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, position: int) -> T: ...

    @overload
    def __getitem__(self, position: slice) -> list[T]: ...

    def __getitem__(self, position: int | slice) -> T | list[T]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._length))]
        position = int(position)  # numpy integers too
        if position < 0:
            position += self._length
        if not 0 <= position < self._length:
            raise IndexError("ChunkedList index out of range")
        number, offset = divmod(position, self._chunk_size)
        return self._chunk(number)[offset]

    def __iter__(self) -> Iterator[T]:
        for number in range(len(self._chunks)):
            yield from self._chunk(number)

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def loaded_chunks(self) -> int:
        """How many chunks have been unpickled (what a lookup cost)."""
        return sum(chunk is not None for chunk in self._loaded)


class PickledMapping(Mapping[K, V], Generic[K, V]):
    """A dict kept pickled until first read: a lookup asks the identifier table only for a
    name carrying an identifier, the typo buckets only for a word the lists do not have.
    Pickled again it travels as a plain dict."""

    def __init__(self, pickled: bytes) -> None:
        self._pickled = pickled
        self._mapping: dict[K, V] | None = None

    def _read(self) -> dict[K, V]:
        if self._mapping is None:
            self._mapping = pickle.loads(self._pickled)
        return self._mapping

    def __getitem__(self, key: K) -> V:
        return self._read()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._read()

    def __iter__(self) -> Iterator[K]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self._read(),))

    def is_read(self) -> bool:
        return self._mapping is not None


class RowRuns(Sequence[np.ndarray]):
    """Per key, its list-table rows: views into one flat array cut at ``offsets`` (tens of
    thousands of tiny arrays are what made reading the index slow)."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray) -> None:
        self._flat = flat
        self._offsets = offsets

    @classmethod
    def of(cls, runs: Sequence[np.ndarray]) -> RowRuns:
        sizes = np.fromiter((len(rows) for rows in runs), dtype=np.int64, count=len(runs))
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        flat = np.concatenate(list(runs)) if len(runs) else np.array([], dtype=np.int64)
        return cls(flat.astype(np.int64, copy=False), offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, position: int) -> np.ndarray: ...

    @overload
    def __getitem__(self, position: slice) -> list[np.ndarray]: ...

    def __getitem__(self, position: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        position = int(position)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError("RowRuns index out of range")
        return self._flat[self._offsets[position] : self._offsets[position + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        for position in range(len(self)):
            yield self[position]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


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


def lists_digest(config: ScreeningConfig | None) -> str:
    """Which lists :func:`screening.pipeline.load_reference_data` would load for ``config``
    (None: the default configuration): the given list files (sizes and times), else the
    snapshot store's active.json and lists.yml and the bundled manifest (contents; read
    directly, without importing the list parsers, to keep the lookup fast)."""
    digest = hashlib.sha256()
    if config is not None and config.list_files:
        digest.update(b"files")
        for raw in config.list_files:
            path = Path(raw).resolve()
            folder = path if path.is_dir() else path.parent
            _digest_files(digest, (f for f in folder.rglob("*") if f.is_file()), content=False)
        return digest.hexdigest()
    list_store = config.list_store if config is not None else None
    store = Path(list_store) if list_store else paths.data_dir() / "lists"
    manifest = Path(paths.REFERENCE_DIR) / "manifest.yml"
    _digest_files(digest, [store / "active.json", store / "lists.yml", manifest], content=True)
    return digest.hexdigest()


def cache_file(config: ScreeningConfig | None = None) -> Path:
    """Where the index of ``config``'s lists (None: the default configuration's) is kept."""
    key = hashlib.sha256(f"{lists_digest(config)}|{code_digest()}".encode()).hexdigest()[:24]
    return paths.data_dir() / "cache" / f"{CACHE_PREFIX}{key}.pickle"


def _stored_state(index: NameIndex) -> tuple[object, ...]:
    """The index as written: its per-key fields chunked (see the module docstring)."""
    stripped = dataclasses.replace(
        index, keys=[], key_rows=[], key_countries=[], identifier_keys={}, _buckets={}
    )
    rows = index.key_rows if isinstance(index.key_rows, RowRuns) else RowRuns.of(index.key_rows)
    return (
        FILE_FORMAT,
        stripped,
        ChunkedList.of(list(index.keys)).parts(),
        ChunkedList.of(list(index.key_countries)).parts(),
        rows._flat,
        rows._offsets,
        pickle.dumps(dict(index.identifier_keys), pickle.HIGHEST_PROTOCOL),
        pickle.dumps(dict(index._buckets), pickle.HIGHEST_PROTOCOL),
    )


def read_index(path: Path) -> NameIndex | None:
    """The stored index, or None when absent, unreadable or of another format (then it is
    built again). Its keys and their countries are unpickled as a lookup reads them."""
    if not path.is_file():
        return None
    from screening.names.index import NameIndex

    try:
        with path.open("rb") as handle, collector.reading_long_lived():
            state = pickle.load(handle)
        if not (isinstance(state, tuple) and len(state) == 8 and state[0] == FILE_FORMAT):
            return None
        _, index, keys, countries, flat_rows, offsets, identifier_keys, buckets = state
        if not isinstance(index, NameIndex):
            return None
        return dataclasses.replace(
            index,
            keys=ChunkedList(*keys),
            key_rows=RowRuns(flat_rows, offsets),
            key_countries=ChunkedList(*countries),
            identifier_keys=PickledMapping(identifier_keys),
            _buckets=PickledMapping(buckets),
        )
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


def write_index(index: NameIndex, path: Path) -> None:
    """Pickle atomically; remove older index files. A read-only data dir only costs speed."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(_stored_state(index), handle, protocol=pickle.HIGHEST_PROTOCOL)
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
    """The name index of the configured lists (None: the default configuration's), from the
    cache when it is current; returns the index and whether it came from the cache."""
    path = cache_file(config)
    cached = read_index(path)
    if cached is not None:
        return cached, True
    from screening.config import ScreeningConfig
    from screening.pipeline import load_reference_data

    index = load_reference_data(config or ScreeningConfig()).index
    write_index(index, path)
    return index, False
