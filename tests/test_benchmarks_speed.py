"""The speed measures behind the bulk benchmark keep results exact: matching in several
processes gives the single-process table row for row, and a cached index is the one built."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.lists import load_bundled_lists
from screening.names import NameIndex, bulk, index_cache, match_names


@pytest.fixture(scope="module")
def lists() -> pa.Table:
    return load_bundled_lists()


def _queries(lists: pa.Table, n: int) -> list[str]:
    """Listed names with a slip, and the same names as written: hits and misses alike."""
    names = [n for n in lists["name"].to_pylist()[: n // 2] if n]
    return names + [name[:-1] + "X" for name in names]


def test_matching_in_processes_gives_the_single_process_table(lists, monkeypatch) -> None:
    index = NameIndex.build(lists)
    names = _queries(lists, 600)
    countries = ["RU" if i % 3 else None for i in range(len(names))]
    single = match_names(names, index, countries=countries, workers=1)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_NAMES", 100)
    # the whole suite runs Prefect's test server in threads of this process, which makes
    # match_names stay in-process; the forked path is what this test is about
    monkeypatch.setattr(bulk.threading, "active_count", lambda: 1)
    assert bulk.process_count(len(names), -1) == min(bulk.usable_cores(), len(names) // 50)
    parallel = match_names(names, index, countries=countries)
    assert single.num_rows > 50
    assert parallel.equals(single)


def test_a_cached_index_is_reused_and_a_changed_list_builds_anew(lists, tmp_path, monkeypatch):
    monkeypatch.setenv("DUALUSE_DATA_DIR", str(tmp_path))
    small = lists.slice(0, 3000)
    built = NameIndex.build(small)
    files = list(index_cache.cache_dir().glob("*.pickle"))
    assert len(files) == 1
    again = NameIndex.build(small)
    assert again is not built and again.tokens == built.tokens
    assert again.key_matrix.nnz == built.key_matrix.nnz
    names = ["GAZPROMBANK", *small["name"].to_pylist()[:200]]
    assert match_names(names, again, workers=1).equals(match_names(names, built, workers=1))
    changed = small.filter(pc.not_equal(small["source_id"], small["source_id"][0]))
    NameIndex.build(changed)
    assert len(list(index_cache.cache_dir().glob("*.pickle"))) == 2
    monkeypatch.setenv("DUALUSE_NAME_INDEX_CACHE", "0")
    assert index_cache.load(index_cache.key_for(small, ("entity", "individual"))) is None


def test_the_speed_benchmark_counts_recall_and_clean_hits_per_kind() -> None:
    """bench_speed.quality: a listed variant is found only through its own entry."""
    import sys

    import pandas as pd

    from tests.conftest import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import bench_speed

    queries = pd.DataFrame(
        {
            "name": ["ROSTEK", "GAZPROMBNK", "ACME TILES", "KAROMI LLC"],
            "kind": ["listed_variant", "listed_variant", "vendor", "random"],
            "expected": ["ssi\t1", "sdn\t2", "", ""],
        }
    )
    found = {"ROSTEK": {"ssi\t1"}, "GAZPROMBNK": {"sdn\t9"}, "KAROMI LLC": {"sdn\t3"}}
    result = bench_speed.quality(found, queries)
    assert result["recall_listed"] == 0.5
    assert result["hit_rate_vendor"] == 0.0
    assert result["hit_rate_random"] == 1.0
