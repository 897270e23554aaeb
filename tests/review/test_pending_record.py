"""A run's sightings recorded in the background: nothing is visible in the store until the
run commits the record, nothing is kept when it abandons it, and a commit keeps exactly what
recording at once keeps (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pytest

from dualuse_kit.sample import generate_trade_records
from screening.geo.countries import country_to_iso2
from screening.lists import load_bundled_lists
from screening.review.pending import PendingRecord
from screening.review.seen import RunSightings, party_sightings, record_sightings, screened_rows
from screening.review.store import ReviewStore

VERSIONS = {"us_ofac_sdn": "2023-12-28"}
HASHES = {"a.csv": "a" * 64}


def _iso2(countries: pa.ChunkedArray) -> pa.Array:
    """Countries as written in the records (names, codes), as a run's ISO2 columns hold them."""
    return pa.array([country_to_iso2(c) for c in countries.to_pylist()], pa.string())


@pytest.fixture(scope="module")
def screened() -> pa.Table:
    """Generated records of one file (listed names, variants, clean companies)."""
    table = generate_trade_records(3_000, seed=11, list_table=load_bundled_lists())
    return pa.table(
        {
            "exporter": table["EXPORTER_NAME"],
            "importer": table["IMPORTER_NAME"],
            "origin_iso2": _iso2(table["ORIGIN_COUNTRY"]),
            "destination_iso2": _iso2(table["DESTINATION_COUNTRY"]),
            "source_file": pa.array(["a.csv"] * table.num_rows, pa.string()),
            "source_row": pa.array(np.arange(table.num_rows), pa.int64()),
            "record_id": table["RECORD_ID"],
        }
    )


def _sightings(screened: pa.Table, spill_dir) -> RunSightings:  # type: ignore[no-untyped-def]
    sightings = RunSightings(spill_dir)
    for start in range(0, screened.num_rows, 1_000):
        part = screened.slice(start, 1_000)
        sightings.add(screened_rows(part), party_sightings(part))
    return sightings


def _wait_written(pending: PendingRecord) -> None:
    """Until the record is written (its seconds are set then), waiting for the run's word."""
    deadline = time.monotonic() + 30
    while pending.seconds == 0 and pending._thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if pending.seconds == 0:
        pending.commit()  # the recording's error, if that is what ended it
    assert pending.seconds > 0


def _stored(store: ReviewStore) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    parties = [{k: v for k, v in p.items() if not k.endswith("_at")} for p in store.parties()]
    return store.count_records_seen(), parties


def test_a_committed_record_keeps_what_recording_at_once_keeps(screened, store_url, tmp_path):
    at_once = ReviewStore(f"sqlite:///{tmp_path / 'at_once.db'}")
    expected = record_sightings(at_once, _sightings(screened, tmp_path), HASHES, VERSIONS)
    store = ReviewStore(store_url)
    pending = PendingRecord(store, _sightings(screened, tmp_path), HASHES, VERSIONS)
    _wait_written(pending)  # waiting for the run's word
    assert _stored(store) == (0, [])  # nothing visible before the outputs are in place
    assert pending.commit() == expected
    assert expected["records_marked_seen"] == screened.num_rows
    assert _stored(store) == _stored(at_once)
    pending.abandon()  # a run's way out after its commit: changes nothing
    assert _stored(store) == _stored(at_once)
    assert pending.seconds > 0
    assert list(tmp_path.glob("dualuse-sightings-*")) == []  # the spilled sightings dropped
    store.close()
    at_once.close()


def test_an_abandoned_record_leaves_the_store_as_it_was_and_unlocked(screened, store_url, tmp_path):
    store = ReviewStore(store_url)
    before = _stored(store)
    pending = PendingRecord(store, _sightings(screened, tmp_path), HASHES, VERSIONS)
    _wait_written(pending)
    pending.abandon()
    assert _stored(store) == before == (0, [])
    # the write lock is released: the next run records at once
    counts = record_sightings(store, _sightings(screened, tmp_path), HASHES, VERSIONS)
    assert counts["records_marked_seen"] == screened.num_rows
    store.close()


def test_an_error_while_recording_comes_out_of_commit(screened, store_url, tmp_path):
    store = ReviewStore(store_url)
    pending = PendingRecord(store, _sightings(screened, tmp_path), {}, VERSIONS)  # no hash
    with pytest.raises(ValueError, match=r"no content hash for source file: a\.csv"):
        pending.commit()
    assert _stored(store) == (0, [])
    store.close()
