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
    # names in other scripts sort last and are handed out first (bulk.OTHER_SCRIPT_COST): the
    # hits must still come back in the names' order
    other_script = [n for n in lists["name"].to_pylist() if n and not n.isascii()][:80]
    assert len(other_script) == 80
    names = _queries(lists, 600) + other_script
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
    """bench_speed.quality: a listed name is found only through one of its own entries, and
    the synthetic variants and the real cross-list names are counted apart, per group."""
    import sys

    import pandas as pd

    from tests.conftest import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import bench_speed

    queries = pd.DataFrame(
        {
            "name": ["ROSTEK", "GAZPROMBNK", "АО ЭНИКС", "ENICS JSC", "ACME TILES", "KAROMI LLC"],
            "kind": [
                "listed_variant",
                "listed_variant",
                "listed_real",
                "listed_real",
                "vendor",
                "random",
            ],
            "expected": ["ssi\t1", "sdn\t2", "sdn\t4|csl\t5", "sdn\t4", "", ""],
            "group": ["typo", "typo", "eu_alias_non_latin", "eu_name", "", ""],
        }
    )
    found = {
        "ROSTEK": {"ssi\t1"},
        "GAZPROMBNK": {"sdn\t9"},
        "АО ЭНИКС": {"csl\t5"},
        "ENICS JSC": {"sdn\t9"},
        "KAROMI LLC": {"sdn\t3"},
    }
    result = bench_speed.quality(found, queries)
    assert result["recall_listed"] == 0.5 and result["n_listed"] == 2
    assert result["recall_real"] == 0.5 and result["n_real"] == 2
    assert result["recall_real_by_group"] == {
        "eu_alias_non_latin": {"recall": 1.0, "n": 1},
        "eu_name": {"recall": 0.0, "n": 1},
    }
    assert result["recall_listed_by_group"] == {"typo": {"recall": 0.5, "n": 2}}
    assert result["hit_rate_vendor"] == 0.0
    assert result["hit_rate_random"] == 1.0


def _regression_names(lists: pa.Table, n: int = 1200) -> tuple[list[str], list[str | None]]:
    """What bulk screening meets, ~2n names: real vendor party names from ../shared (when
    present), list names as written and customs-style variants of them from benchmarks/distort.py
    (which shares no table with the matcher); each with a country, some agreeing, some not."""
    import sys

    import numpy as np
    import pandas as pd

    from tests.conftest import REPO_ROOT, SHARED_DATA

    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import distort

    rng = np.random.default_rng(9)
    vendor: set[str] = set()
    for path in sorted((SHARED_DATA / "trade" / "vendor_samples_csv").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="replace")
        for column in (c for c in frame.columns if "NAME" in c.upper()):
            vendor.update(v.strip() for v in frame[column] if v.strip())
    vendor_names = sorted(vendor)
    picked = [vendor_names[i] for i in rng.permutation(len(vendor_names))[:n].tolist()]
    listed = [name for name in lists["name"].to_pylist() if name]
    originals = [listed[i] for i in rng.choice(len(listed), n, replace=False).tolist()]
    picked += originals[: n // 3]
    ops = [op for op in distort.OPERATIONS if op != "inn_prefix"]
    for name in originals[n // 3 :]:
        op = ops[int(rng.integers(0, len(ops)))]
        if distort.applicable(name, op):
            picked.append(distort.distort(name, op, rng))
    countries = [("RU", None, "CN", "AE", None, "DE")[i % 6] for i in range(len(picked))]
    return picked, countries


def _clear_name_caches() -> None:
    """Forget every per-word result the matcher's modules keep (lru caches)."""
    from screening.names import cut, features, index, normalise, readings, repair

    for module in (normalise, repair, index, readings, cut, features):
        for value in vars(module).values():
            if not isinstance(value, type) and callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def test_the_fast_path_gives_the_reference_results_on_realistic_names(lists, monkeypatch):
    """Every speed shortcut (screening.names.normalise.SHORTCUTS) left out, the same names give
    the same table: same hits, ranks, scores and explanations (parties with and without a
    country). The fast run matches in small batches, as a bulk run's processes do, so what
    is kept from one batch to the next is used too: per index (closest spellings and other
    readings of words, the tables of every key, read here from the first batch on), per word
    set (what repairs made of words and neighbours), per word (expansions, spellings,
    folds) and per name (despaced letters)."""
    import dataclasses

    from screening.names import cut, normalise, repair
    from screening.names import index as name_index
    from screening.names.tunables import settings

    index = NameIndex.build(lists)
    names, countries = _regression_names(lists)
    _clear_name_caches()
    monkeypatch.setattr(repair, "BRUTE_FORCE_WORDS", 0)  # the table from the first word on
    monkeypatch.setattr(name_index, "PER_KEY_TABLES_MIN_QUERIES", 0)
    monkeypatch.setattr(cut, "PER_KEY_TABLES_MIN_QUERIES", 0)
    small_batches = dataclasses.replace(settings, batch_size=300)
    fast = match_names(
        names, index, countries=countries, workers=1, show_held=True, config=small_batches
    )
    assert {"_reading_cache", "_exact_keys", "_cut_key_first_words"} <= index.__dict__.keys()
    assert index.known_words.__dict__["_memos"].pairs  # (repairs kept per word set)
    _clear_name_caches()
    monkeypatch.setattr(normalise, "SHORTCUTS", False)
    try:
        reference = match_names(names, index, countries=countries, workers=1, show_held=True)
    finally:
        _clear_name_caches()
    assert len(names) > 1800
    assert fast.num_rows > 300, fast.num_rows
    assert pc.sum(pc.is_null(fast["query_country"])).as_py() > 100
    # the shortcuts' cases are there: names read as cut short, slips repaired
    assert pc.sum(pc.match_substring(fast["explanation"], "may be cut")).as_py() > 5
    assert pc.sum(pc.match_substring(fast["explanation"], "read as typed slips")).as_py() > 5
    assert fast.equals(reference)


def test_the_speed_benchmark_reports_each_tools_median_run_with_all_runs() -> None:
    import sys

    from tests.conftest import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import bench_speed

    runs = [
        {"seconds": 14.6, "cpu_seconds": 26.2, "peak_rss_mb": 663.0},
        {"seconds": 12.7, "cpu_seconds": 22.8, "peak_rss_mb": 665.0},
        {"seconds": 13.9, "cpu_seconds": 24.7, "peak_rss_mb": 661.0},
    ]
    median = bench_speed.median_run(runs)
    assert (median["seconds"], median["cpu_seconds"], median["peak_rss_mb"]) == (13.9, 24.7, 661.0)
    assert median["runs"] == 3
    assert median["seconds_each"] == [14.6, 12.7, 13.9]
    assert median["cpu_seconds_each"] == [26.2, 22.8, 24.7]
    assert bench_speed.median_run(runs[:2])["seconds"] == 14.6  # the slower of two
