"""What runs have already screened: records (for ``--only-new``) and parties (for rescreen).

A record is known by the sha256 of its file's bytes and its row in that file, so a file
screened last night and dropped again tonight is skipped, while an edited file is screened
again in full (its content, hence its key, changed). Records are marked seen only after the
run's outputs are written, so a crashed run never hides records from the next one.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from screening.geo.chains import party_keys
from screening.lists.store.bundled import sha256_of
from screening.review.carry import PARTY_ROLES
from screening.review.store import ReviewStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

PARTY_COUNTRY_COLUMNS = {"exporter": "origin_iso2", "importer": "destination_iso2"}


def file_hashes(paths: Iterable[str | Path]) -> dict[str, str]:
    """``source_file`` value -> sha256 of the file's bytes, for the files of a run.

    The loader writes a file's name (or its path) into ``source_file``; both are mapped."""
    out: dict[str, str] = {}
    for path in paths:
        digest = sha256_of(path)
        out[str(path)] = digest
        out.setdefault(Path(path).name, digest)
    return out


def _hash_column(trades: pa.Table, hashes: Mapping[str, str]) -> pa.Array:
    files = pc.unique(trades["source_file"]).to_pylist()
    missing = [f for f in files if f not in hashes]
    if missing:
        raise ValueError(f"no content hash for source file(s): {', '.join(missing)}")
    return pc.take(
        pa.array([hashes[f] for f in files]),
        pc.index_in(trades["source_file"], pa.array(files)),
    )


def keep_unseen(
    trades: pa.Table, store: ReviewStore, hashes: Mapping[str, str]
) -> tuple[pa.Table, int]:
    """The records the store has not seen (by file content hash + row), and how many were
    skipped. One query per distinct file (its ranges of rows seen), one vectorised filter."""
    if trades.num_rows == 0:
        return trades, 0
    digests = _hash_column(trades, hashes)
    rows = trades["source_row"].to_numpy(zero_copy_only=False)
    keep = np.ones(trades.num_rows, dtype=bool)
    for digest in pc.unique(digests).to_pylist():
        ranges = store.seen_ranges(digest)
        if not ranges:
            continue
        firsts = np.array([a for a, _ in ranges], dtype=np.int64)
        lasts = np.array([b for _, b in ranges], dtype=np.int64)
        in_file = pc.equal(digests, digest).to_numpy(zero_copy_only=False)
        slot = np.searchsorted(firsts, rows, side="right") - 1  # the range starting at or before
        already = (slot >= 0) & (rows <= lasts[np.maximum(slot, 0)])
        keep &= ~(in_file & already)
    kept = trades.filter(pa.array(keep))
    return kept, trades.num_rows - kept.num_rows


PARTY_SIGHTINGS = pa.schema(
    [
        ("party_name", pa.string()),
        ("country", pa.string()),
        ("role", pa.string()),
        ("first_file", pa.string()),
        ("first_record", pa.string()),
        ("last_file", pa.string()),
        ("last_record", pa.string()),
        ("records", pa.int64()),
    ]
)
"""Per (party name, country) of some records: the role and record it was first seen in, the
last record, and how many records name it (a record naming it twice counts twice)."""


class RunSightings:
    """What a run records in the store once its outputs are written, gathered part by part
    while the parts are scored (in input order): the rows screened of each file as ranges and
    each party's sightings.

    The sightings are spilled as they come, each part's rows split by the bytes of the party
    name into ``BUCKETS`` Arrow IPC streams (one name always falls in the same bucket), and
    folded bucket by bucket at the end: memory holds one bucket at a time. Folding them in
    memory as they came (the table of every party so far, concatenated with the new parts and
    grouped again) made the driver of a 10M-row run (2.5M parties) peak 1.8 GB higher."""

    BUCKETS = 16

    def __init__(self, spill_dir: str | Path | None = None) -> None:
        self._row_ranges: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._spill_parent = spill_dir
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._writers: list[pa.ipc.RecordBatchStreamWriter] = []
        self._rows_spilled = 0

    def add(self, rows_by_file: dict[str, np.ndarray], sightings: pa.Table) -> None:
        for source_file, rows in rows_by_file.items():
            self._row_ranges.setdefault(source_file, []).append(_ranges(rows))
        if sightings.num_rows == 0:
            return
        sightings = _conform_sightings(sightings)
        bucket = name_buckets(sightings["party_name"], self.BUCKETS)
        order = np.argsort(bucket, kind="stable")  # input order kept within a bucket
        ordered = sightings.take(pa.array(order, pa.int64()))
        ends = np.cumsum(np.bincount(bucket, minlength=self.BUCKETS))
        writers = self._open_writers()
        for number, (first, last) in enumerate(zip([0, *ends[:-1]], ends, strict=True)):
            if last > first:
                writers[number].write_table(ordered.slice(int(first), int(last - first)))
        self._rows_spilled += sightings.num_rows

    def _open_writers(self) -> list[pa.ipc.RecordBatchStreamWriter]:
        if not self._writers:
            self._folder = tempfile.TemporaryDirectory(
                prefix="dualuse-sightings-", dir=self._spill_parent
            )
            folder = Path(self._folder.name)
            self._writers = [
                pa.ipc.new_stream(folder / f"bucket-{n:02d}.arrow", PARTY_SIGHTINGS)
                for n in range(self.BUCKETS)
            ]
        return self._writers

    def folded(self) -> Iterator[pa.Table]:
        """Each party once (PARTY_SIGHTINGS), one bucket of names at a time."""
        if not self._writers:
            return
        for writer in self._writers:
            writer.close()
        assert self._folder is not None
        folder = Path(self._folder.name)
        for number in range(self.BUCKETS):
            with pa.memory_map(str(folder / f"bucket-{number:02d}.arrow")) as source:
                spilled = pa.ipc.open_stream(source).read_all()
            if spilled.num_rows:
                yield fold_sightings([spilled])

    def parties(self) -> pa.Table:
        """Every party once (PARTY_SIGHTINGS), grouped by bucket of names."""
        return pa.concat_tables([PARTY_SIGHTINGS.empty_table(), *self.folded()])

    def close(self) -> None:
        """Drop the spilled sightings."""
        for writer in self._writers:
            with contextlib.suppress(pa.ArrowInvalid, OSError):
                writer.close()
        self._writers = []
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def ranges(self) -> dict[str, list[tuple[int, int]]]:
        """source_file -> (first, last) ranges of its rows screened."""
        return {f: _merge_ranges(parts) for f, parts in self._row_ranges.items()}


def _ranges(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as sorted disjoint ranges of consecutive rows: (firsts, lasts)."""
    ordered = np.unique(np.asarray(rows, dtype=np.int64))
    if ordered.size == 0:
        return ordered, ordered
    breaks = np.flatnonzero(np.diff(ordered) != 1)
    firsts = np.concatenate([ordered[:1], ordered[breaks + 1]])
    lasts = np.concatenate([ordered[breaks], ordered[-1:]])
    return firsts, lasts


def _merge_ranges(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[int, int]]:
    """Ranges of several parts as one sorted disjoint list (touching ranges joined)."""
    firsts = np.concatenate([f for f, _ in parts]) if parts else np.empty(0, np.int64)
    lasts = np.concatenate([last for _, last in parts]) if parts else np.empty(0, np.int64)
    if firsts.size == 0:
        return []
    order = np.argsort(firsts, kind="stable")
    firsts, lasts = firsts[order], lasts[order]
    reach = np.maximum.accumulate(lasts)  # the last row covered so far
    starts = np.concatenate([[True], firsts[1:] > reach[:-1] + 1])
    merged_lasts = np.maximum.reduceat(lasts, np.flatnonzero(starts))
    return list(zip(firsts[starts].tolist(), merged_lasts.tolist(), strict=True))


def name_buckets(names: pa.Array | pa.ChunkedArray, count: int) -> np.ndarray:
    """A bucket number in ``[0, count)`` per name, from its bytes (length, first, middle and
    last byte): the same name always falls in the same bucket; null and empty names in 0."""
    values = names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names
    values = values.cast(pa.string())
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    offsets = offsets[values.offset : values.offset + n + 1]
    starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    lengths = ends - starts
    data_buffer = values.buffers()[2]
    if data_buffer is None or data_buffer.size == 0:
        return np.zeros(n, dtype=np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    filled = lengths > 0
    first = np.where(filled, starts, 0)
    last = np.where(filled, ends - 1, 0)
    middle = np.where(filled, starts + lengths // 2, 0)
    mixed = lengths * 31 + data[first].astype(np.int64) * 7 + data[last] * 3 + data[middle]
    return np.where(filled, mixed % count, 0)


def _conform_sightings(sightings: pa.Table) -> pa.Table:
    """PARTY_SIGHTINGS columns and types (one schema for every part spilled)."""
    return pa.Table.from_arrays(
        [sightings[f.name].cast(f.type) for f in PARTY_SIGHTINGS], schema=PARTY_SIGHTINGS
    )


def screened_rows(screened: pa.Table) -> dict[str, np.ndarray]:
    """source_file -> the source rows of its records in ``screened``."""
    files = pc.dictionary_encode(screened["source_file"]).combine_chunks()
    rows = screened["source_row"].to_numpy()
    codes = files.indices.to_numpy(zero_copy_only=False)
    return {name: rows[codes == i] for i, name in enumerate(files.dictionary.to_pylist()) if name}


def party_sightings(screened: pa.Table) -> pa.Table:
    """PARTY_SIGHTINGS of the records in ``screened`` (exporters before importers)."""
    parts = []
    for role in PARTY_ROLES:
        country_column = PARTY_COUNTRY_COLUMNS[role]
        countries = (
            screened[country_column]
            if country_column in screened.column_names
            else pa.nulls(screened.num_rows, pa.string())
        )
        part = pa.table(
            {
                "party_name": pc.utf8_trim_whitespace(screened[role]),
                "country": pc.fill_null(countries, ""),
                "role": pa.array(np.full(screened.num_rows, role, dtype=object), pa.string()),
                "file": screened["source_file"],
                "record_id": screened["record_id"].cast(pa.string()),
            }
        )
        part = part.filter(
            pc.and_(pc.is_valid(part["party_name"]), pc.not_equal(part["party_name"], ""))
        )
        parts.append(part)
    grouped = (
        pa.concat_tables(parts)
        .group_by(["party_name", "country"], use_threads=False)
        .aggregate(
            [
                ("role", "first"),
                ("file", "first"),
                ("record_id", "first"),
                ("file", "last"),
                ("record_id", "last"),
                ("record_id", "count"),
            ]
        )
    )
    return pa.Table.from_arrays(
        [
            grouped["party_name"],
            grouped["country"],
            grouped["role_first"],
            grouped["file_first"],
            grouped["record_id_first"],
            grouped["file_last"],
            grouped["record_id_last"],
            grouped["record_id_count"].cast(pa.int64()),
        ],
        schema=PARTY_SIGHTINGS,
    )


def fold_sightings(tables: Sequence[pa.Table]) -> pa.Table:
    """Sightings of consecutive parts of the input (in order) as one table."""
    grouped = (
        pa.concat_tables(tables)
        .group_by(["party_name", "country"], use_threads=False)
        .aggregate(
            [
                ("role", "first"),
                ("first_file", "first"),
                ("first_record", "first"),
                ("last_file", "last"),
                ("last_record", "last"),
                ("records", "sum"),
            ]
        )
    )
    names = ["party_name", "country", "role_first", "first_file_first", "first_record_first",
             "last_file_last", "last_record_last", "records_sum"]  # fmt: skip
    return pa.Table.from_arrays([grouped[n] for n in names], schema=PARTY_SIGHTINGS)


def record_sightings(
    store: ReviewStore,
    sightings: RunSightings,
    hashes: Mapping[str, str],
    list_versions: Mapping[str, str],
    connection: Connection | None = None,
) -> dict[str, int]:
    """After a run's outputs are written: mark its records seen (as ranges of rows per file)
    and its parties screened against ``list_versions``. Returns counts for the manifest.
    ``connection``: a :meth:`ReviewStore.transaction` to write in (committed by the caller)."""
    new = 0
    for source_file, ranges in sightings.ranges().items():
        digest = hashes.get(source_file)
        if digest is None:
            raise ValueError(f"no content hash for source file: {source_file}")
        new += store.mark_rows_seen(digest, source_file, ranges, connection)
    written = 0
    try:
        for parties in sightings.folded():  # one bucket of names at a time
            written += store.mark_party_sightings(
                _with_party_key(parties), list_versions, connection
            )
    finally:
        sightings.close()
    return {"records_marked_seen": new, "parties_recorded": written}


def _with_party_key(parties: pa.Table) -> pa.Table:
    """The sightings with the store's ``party`` column: the normalised key (cached per name for
    the run: the costly part), else the name casefolded with its spaces collapsed."""
    keys = party_keys(parties["party_name"])
    missing = [row for row, key in enumerate(keys.tolist()) if not key]
    if missing:
        names = parties["party_name"].take(pa.array(missing, pa.int64())).to_pylist()
        keys[missing] = [" ".join((n or "").casefold().split()) for n in names]
    return parties.add_column(2, "party", pa.array(keys.tolist(), pa.string()))


def record_run(
    store: ReviewStore,
    screened: pa.Table,
    hashes: Mapping[str, str],
    list_versions: Mapping[str, str],
) -> dict[str, int]:
    """After a run's outputs are written: mark its records seen and its parties screened
    against ``list_versions``. Returns counts for the manifest."""
    if screened.num_rows == 0:
        return {"records_marked_seen": 0, "parties_recorded": 0}
    _hash_column(screened, hashes)  # every file has a hash, or a clear error
    sightings = RunSightings()
    sightings.add(screened_rows(screened), party_sightings(screened))
    return record_sightings(store, sightings, hashes, list_versions)
