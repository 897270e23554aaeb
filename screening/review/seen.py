"""What runs have already screened: records (for ``--only-new``) and parties (for rescreen).

A record is known by the sha256 of its file's bytes and its row in that file, so a file
screened last night and dropped again tonight is skipped, while an edited file is screened
again in full (its content, hence its key, changed). Records are marked seen only after the
run's outputs are written, so a crashed run never hides records from the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from screening.geo.chains import party_keys
from screening.lists.store.bundled import sha256_of
from screening.review.carry import PARTY_ROLES
from screening.review.store import ReviewStore, row_ranges

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
    each party's sightings, folded as they come so that memory stays bounded by the distinct
    parties, not the records."""

    FOLD_ROWS = 2_000_000
    """Pending sighting rows that trigger a fold into the running totals."""

    def __init__(self) -> None:
        self.rows: dict[str, list[np.ndarray]] = {}
        self._folded: pa.Table = PARTY_SIGHTINGS.empty_table()
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def add(self, rows_by_file: dict[str, np.ndarray], sightings: pa.Table) -> None:
        for source_file, rows in rows_by_file.items():
            self.rows.setdefault(source_file, []).append(rows)
        self._pending.append(sightings)
        self._pending_rows += sightings.num_rows
        if self._pending_rows > max(self.FOLD_ROWS, self._folded.num_rows):
            self._fold()

    def _fold(self) -> None:
        if self._pending:
            self._folded = fold_sightings([self._folded, *self._pending])
            self._pending, self._pending_rows = [], 0

    def parties(self) -> pa.Table:
        self._fold()
        return self._folded

    def ranges(self) -> dict[str, list[tuple[int, int]]]:
        """source_file -> (first, last) ranges of its rows screened."""
        return {f: row_ranges(np.concatenate(parts)) for f, parts in self.rows.items()}


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
) -> dict[str, int]:
    """After a run's outputs are written: mark its records seen (as ranges of rows per file)
    and its parties screened against ``list_versions``. Returns counts for the manifest."""
    new = 0
    for source_file, ranges in sightings.ranges().items():
        digest = hashes.get(source_file)
        if digest is None:
            raise ValueError(f"no content hash for source file: {source_file}")
        new += store.mark_rows_seen(digest, source_file, ranges)
    parties = sightings.parties()
    # party_key, with the normalised key cached per name for the run (the costly part)
    keys = party_keys(parties["party_name"])
    names = parties["party_name"].to_pylist()
    fallback = [
        k or " ".join((n or "").casefold().split()) for k, n in zip(keys, names, strict=True)
    ]
    parties = parties.add_column(2, "party", pa.array(fallback, pa.string()))
    written = store.mark_party_sightings(parties, list_versions)
    return {"records_marked_seen": new, "parties_recorded": written}


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
