"""A run's matching processes on a first run: the index is built once, by one of them, while
the run's own process goes on reading; the hits are those of matching in one process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from screening import pipeline
from screening.match_pool import MatchPool
from screening.names.index import NameIndex
from screening.parallel import single_threaded


def _parties(lists: pa.Table) -> pa.Table:
    """Listed names as a trade file writes them (upper case, one letter slipped in one),
    with countries, plus names no list holds."""
    listed = [n for n in lists["name"].to_pylist() if n and len(n) > 12][:40]
    names = [n.upper() for n in listed] + [listed[0][:-1] + "X", "BLUE RIVER TEXTILES LTD"]
    return pa.table({"name": names, "country": ["RU", None] * (len(names) // 2)})


@pytest.fixture
def build_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder (no index cached) and a log of the processes that build an index
    (the pool forks after this patch, so its processes log too)."""
    monkeypatch.setenv("DUALUSE_DATA_DIR", str(tmp_path / "data"))
    log = tmp_path / "builds.txt"
    build = NameIndex.build.__func__  # type: ignore[attr-defined]

    def logged_build(cls: type[NameIndex], lists: pa.Table, *args: Any, **kwargs: Any) -> Any:
        with open(log, "a", encoding="ascii") as fh:
            fh.write(f"{os.getpid()}\n")
        return build(cls, lists, *args, **kwargs)

    monkeypatch.setattr(NameIndex, "build", classmethod(logged_build))
    return log


def test_first_run_index_is_built_once_by_a_matching_process(
    small_reference: tuple[Any, Any], build_log: Path
) -> None:
    reference, config = small_reference
    lists = reference.lists
    parties = _parties(lists)
    index_file = pipeline.name_index_cache_file(lists)
    assert not index_file.exists()

    pool = MatchPool(2)
    try:
        pool.start(index_file, single_threaded(config), lists)
        assert pool.submit(parties) == parties.num_rows
        pooled = pool.result()
    finally:
        pool.close()

    builders = build_log.read_text().split()
    assert len(builders) == 1  # the other process waited for the file and read it
    assert int(builders[0]) != os.getpid()  # this process neither built nor holds it
    assert index_file.is_file()
    assert index_file.name not in pipeline._INDEX_MEMO

    alone = pipeline.match_distinct_parties(parties, NameIndex.build(lists), config)
    key = ["query", "query_country", "source_id"]
    assert pooled.sort_by([(k, "ascending") for k in key]).equals(
        alone.sort_by([(k, "ascending") for k in key])
    )
    assert pooled.num_rows >= 30  # most listed names found (some persons held: no country)


def test_index_built_by_one_process_is_read_by_the_next(
    small_reference: tuple[Any, Any], build_log: Path
) -> None:
    lists = small_reference[0].lists
    cache = pipeline.name_index_cache_file(lists)
    first = pipeline.read_or_build_index(lists, cache)
    again = pipeline.read_or_build_index(lists, cache)
    assert len(build_log.read_text().split()) == 1
    assert again is not first and len(again.keys) == len(first.keys)
    assert sorted(p.suffix for p in cache.parent.glob("name-index-*")) == [".lock", ".pickle"]
