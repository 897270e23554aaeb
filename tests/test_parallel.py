"""The Dask executor on a real LocalCluster: results in input order, and no worker left idle
behind one slow unit."""

from __future__ import annotations

import os
import time

import pyarrow as pa
import pytest

from screening.parallel import DaskExecutor, LocalExecutor


def _timed_unit(item: tuple[int, float], offset: int) -> tuple[int, float, float]:
    """Sleep ``seconds``; return the unit's number plus ``offset``, its start and end."""
    number, seconds = item
    start = time.time()
    time.sleep(seconds)
    return number + offset, start, time.time()


@pytest.fixture(scope="module")
def two_workers() -> DaskExecutor:
    executor = DaskExecutor(workers=2)
    yield executor
    executor.close()


def test_results_in_input_order_and_other_workers_busy_behind_a_slow_unit(
    two_workers: DaskExecutor,
) -> None:
    # unit 0 takes 3 s; the 8 others 0.1 s each. Two units per worker are in the cluster at
    # a time: had the next unit waited for the oldest to finish, units 4-8 would start only
    # after unit 0 ended.
    items = [(0, 3.0)] + [(n, 0.1) for n in range(1, 9)]
    results = list(two_workers.map(_timed_unit, items, offset=100))
    assert [number for number, _, _ in results] == [100 + n for n in range(9)]
    slow_end = results[0][2]
    started_before = [number - 100 for number, start, _ in results[1:] if start < slow_end]
    assert started_before == list(range(1, 9)), results


def test_a_failing_unit_raises_without_waiting_for_a_slow_earlier_one(
    two_workers: DaskExecutor,
) -> None:
    items = [(0, 4.0), (1, -1.0)]  # time.sleep(-1) raises ValueError
    start = time.perf_counter()
    with pytest.raises(ValueError, match="non-negative"):
        list(two_workers.map(_timed_unit, items, offset=0))
    assert time.perf_counter() - start < 3.5


def test_in_process_executor_gives_the_same_results() -> None:
    items = [(n, 0.0) for n in range(5)]
    local = [number for number, _, _ in LocalExecutor().map(_timed_unit, items, offset=7)]
    assert local == [7 + n for n in range(5)]


def _pairs_seen(parties: pa.Table, context: str) -> tuple[pa.Table, dict[str, str | None]]:
    """A stand-in matcher: the pairs it was given (with the worker's process), and a key for
    each name."""
    if context != "ctx":
        raise ValueError(f"context not delivered: {context!r}")
    seen = parties.append_column("pid", pa.array([os.getpid()] * parties.num_rows, pa.int64()))
    return seen, {name: f"key:{name}" for name in parties["name"].to_pylist()}


def test_cluster_matching_sends_each_distinct_pair_once_over_all_batches(
    two_workers: DaskExecutor,
) -> None:
    from screening.geo.chains import party_keys
    from screening.match_pool import ClusterMatching

    batches = [
        pa.table({"name": [f"n{i}" for i in range(0, 30)], "country": ["RU"] * 30}),
        # 20 pairs again, 10 names under another country (other pairs), 10 new names
        pa.table(
            {
                "name": [f"n{i}" for i in range(10, 30)] + [f"n{i}" for i in range(0, 20)],
                "country": ["RU"] * 20 + ["CN"] * 10 + ["RU"] * 10,
            }
        ),
    ]
    matching = ClusterMatching(two_workers, _pairs_seen, "ctx", job_pairs=7)
    sent = [matching.submit(batch) for batch in batches]
    assert sent == [30, 10]  # the second batch's 20 RU pairs n10-n29 were sent already
    assert matching.jobs_sent == 5 + 2  # 30 pairs in jobs of 7, then 10
    result = matching.result()
    assert matching.jobs_done() == 0  # all taken in by result()
    pairs = list(zip(result["name"].to_pylist(), result["country"].to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs)) == 40
    assert set(pairs) == {(f"n{i}", "RU") for i in range(30)} | {(f"n{i}", "CN") for i in range(10)}
    assert pairs[:30] == [(f"n{i}", "RU") for i in range(30)]  # in the order sent
    assert os.getpid() not in result["pid"].to_pylist()
    assert party_keys(pa.array(["n3"])).tolist() == ["key:n3"]  # keys came back to this process


def test_cluster_matching_raises_a_failed_job_error(two_workers: DaskExecutor) -> None:
    from screening.match_pool import ClusterMatching

    matching = ClusterMatching(two_workers, _pairs_seen, "not ctx")
    matching.submit(pa.table({"name": ["a"], "country": ["RU"]}))
    with pytest.raises(ValueError, match="context not delivered"):
        matching.result()
