"""A run's party sightings, spilled part by part in buckets of names and folded bucket by
bucket: the same parties, first and last sightings and counts as folding every part at once
in memory, and the same rows screened."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dualuse_kit.sample import generate_trade_records
from screening.lists import load_bundled_lists
from screening.review.seen import (
    RunSightings,
    fold_sightings,
    name_buckets,
    party_sightings,
    screened_rows,
)
from screening.review.store import row_ranges

PARTS = 7


@pytest.fixture(scope="module")
def screened() -> pa.Table:
    """Generated records (listed names, variants, Cyrillic, blank parties) in two files, with
    the columns the sightings read."""
    table = generate_trade_records(12_000, seed=5, list_table=load_bundled_lists())
    n = table.num_rows
    files = np.where(np.arange(n) < n // 2, "a.csv", "b.csv")
    rows = np.where(np.arange(n) < n // 2, np.arange(n), np.arange(n) - n // 2)
    # parties written with stray spaces and blank: trimmed, blanks not sighted
    exporters = pc.if_else(
        pa.array(np.arange(n) % 97 == 0), pa.scalar("  "), table["EXPORTER_NAME"]
    )
    return pa.table(
        {
            "exporter": exporters,
            "importer": pc.binary_join_element_wise(table["IMPORTER_NAME"], " ", ""),
            "origin_iso2": table["ORIGIN_COUNTRY"],
            "destination_iso2": table["DESTINATION_COUNTRY"],
            "source_file": pa.array(files, pa.string()),
            "source_row": pa.array(rows, pa.int64()),
            "record_id": table["RECORD_ID"],
        }
    )


def _parts(screened: pa.Table) -> list[pa.Table]:
    edges = np.linspace(0, screened.num_rows, PARTS + 1).astype(int)
    return [screened.slice(a, b - a) for a, b in itertools.pairwise(edges)]


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([("party_name", "ascending"), ("country", "ascending")])


def test_spilled_folds_equal_the_in_memory_fold(screened, tmp_path):
    sightings = RunSightings(tmp_path)
    sightings.BUCKETS = 5
    per_part = [party_sightings(part) for part in _parts(screened)]
    for part, table in zip(_parts(screened), per_part, strict=True):
        sightings.add(screened_rows(part), table)
    assert len(list(tmp_path.iterdir())) == 1  # one spill folder
    folded = list(sightings.folded())
    assert 1 < len(folded) <= 5
    expected = fold_sightings(per_part)
    got = pa.concat_tables(folded)
    assert _sorted(got).equals(_sorted(expected))
    # every party once, in one bucket only; every non-blank party slot counted once
    assert (
        got.num_rows
        == pc.unique(
            pc.binary_join_element_wise(got["party_name"], got["country"], "\x1f")
        ).__len__()
    )
    names = [screened[r] for r in ("exporter", "importer")]
    slots = sum(int(pc.sum(pc.not_equal(pc.utf8_trim_whitespace(c), "")).as_py()) for c in names)
    assert pc.sum(got["records"]).as_py() == slots
    # a party seen in several parts keeps its first and last records from the input order
    many = got.filter(pc.greater(got["records"], 20)).slice(0, 1).to_pylist()[0]
    mine = screened.filter(
        pc.or_(
            pc.equal(pc.utf8_trim_whitespace(screened["exporter"]), many["party_name"]),
            pc.equal(pc.utf8_trim_whitespace(screened["importer"]), many["party_name"]),
        )
    )
    assert many["first_record"] <= many["last_record"]
    assert many["last_record"] in mine["record_id"].to_pylist()
    sightings.close()
    assert list(tmp_path.iterdir()) == []


def test_rows_screened_come_back_as_ranges(screened, tmp_path):
    sightings = RunSightings(tmp_path)
    # parts out of order and with a hole (records skipped as seen), as --only-new gives
    parts = _parts(screened)
    kept = [p.filter(pc.not_equal(pc.bit_wise_and(p["source_row"], 15), 3)) for p in parts]
    for part in reversed(kept):
        sightings.add(screened_rows(part), party_sightings(part))
    every = pa.concat_tables(kept)
    for source_file, ranges in sightings.ranges().items():
        rows = every.filter(pc.equal(every["source_file"], source_file))["source_row"]
        assert ranges == row_ranges(rows.to_numpy())
    sightings.close()


def test_a_name_falls_in_one_bucket_wherever_it_comes(screened):
    names = pc.utf8_trim_whitespace(screened["importer"]).combine_chunks()
    whole = name_buckets(names, 16)
    assert set(np.unique(whole)) == set(range(16))  # the names spread over every bucket
    sliced = name_buckets(names.slice(1000, 500), 16)  # an array offset into its buffers
    assert sliced.tolist() == whole[1000:1500].tolist()
    assert name_buckets(pa.array([None, "", "A"]), 16).tolist()[:2] == [0, 0]


def test_no_sightings_no_spill(tmp_path):
    sightings = RunSightings(tmp_path)
    sightings.add({}, party_sightings(pa.table({
        "exporter": pa.array([], pa.string()), "importer": pa.array([], pa.string()),
        "source_file": pa.array([], pa.string()), "record_id": pa.array([], pa.string()),
    })))  # fmt: skip
    assert sightings.parties().num_rows == 0
    assert list(tmp_path.iterdir()) == []
