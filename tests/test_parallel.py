"""The Dask executor on a real LocalCluster: results in input order, and no worker left idle
behind one slow unit."""

from __future__ import annotations

import time

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
