"""What runs have already screened: records (for ``--only-new``) and parties (for rescreen).

A record is known by the sha256 of its file's bytes and its row in that file, so a file
screened last night and dropped again tonight is skipped, while an edited file is screened
again in full (its content, hence its key, changed). Records are marked seen only after the
run's outputs are written, so a crashed run never hides records from the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from screening.geo.chains import party_keys
from screening.lists.store.bundled import sha256_of
from screening.review.carry import PARTY_ROLES
from screening.review.store import ReviewStore

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
    skipped. One query per distinct file, one vectorised filter."""
    if trades.num_rows == 0:
        return trades, 0
    digests = _hash_column(trades, hashes)
    keep = pa.array([True] * trades.num_rows)
    for digest in pc.unique(digests).to_pylist():
        seen = store.seen_rows(digest)
        if not seen:
            continue
        in_file = pc.equal(digests, digest)
        already = pc.is_in(trades["source_row"], pa.array(sorted(seen), pa.int64()))
        keep = pc.and_(keep, pc.invert(pc.and_(in_file, already)))
    kept = trades.filter(keep)
    return kept, trades.num_rows - kept.num_rows


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
    digests = _hash_column(screened, hashes)
    rows = pa.table(
        {
            "file_sha256": digests,
            "source_row": screened["source_row"],
            "source_file": screened["source_file"],
            "record_id": screened["record_id"],
        }
    ).to_pylist()
    new = store.mark_records_seen(rows)
    parties = seen_parties(screened)
    store.mark_parties_screened(parties, list_versions)
    return {"records_marked_seen": new, "parties_recorded": len(parties)}


def seen_parties(screened: pa.Table) -> list[dict[str, object]]:
    """One row per distinct (party name, country) of the batch with the first record it
    was seen in and how many records name it."""
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
                "role": pa.array([role] * screened.num_rows),
                "file": screened["source_file"],
                "record_id": screened["record_id"],
            }
        )
        part = part.filter(
            pc.and_(pc.is_valid(part["party_name"]), pc.not_equal(part["party_name"], ""))
        )
        parts.append(part)
    every = pa.concat_tables(parts)
    grouped = every.group_by(["party_name", "country"], use_threads=False).aggregate(
        [("role", "first"), ("file", "first"), ("record_id", "first"), ("record_id", "count")]
    )
    # party_key, with the normalised key cached per name for the run (the costly part)
    keys = party_keys(grouped["party_name"])
    return [
        {
            **row,
            "party": keys[i] or " ".join((row["party_name"] or "").casefold().split()),
        }
        for i, row in enumerate(_rows(grouped))
    ]


def _rows(grouped: pa.Table) -> list[dict[str, object]]:
    return [
        {
            "party_name": row["party_name"],
            "country": row["country"],
            "role": row["role_first"],
            "file": row["file_first"],
            "record_id": row["record_id_first"],
            "records": row["record_id_count"],
        }
        for row in grouped.to_pylist()
    ]
