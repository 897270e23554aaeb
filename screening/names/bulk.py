"""Large name sets matched in several processes at once.

Reading a name (normalising it, repairing slips, reading it as cut short) is Python work per
name, so one process uses one core however the candidate search is vectorised. Above
``PARALLEL_MIN_NAMES`` distinct names, the sorted distinct (name, country) pairs are cut into
contiguous runs, handed out costliest first to forked children that share the built index and
the runs with their parent (copy-on-write, nothing pickled but run numbers and the hits). Each
query's hits depend on that query alone, so the hits joined in the runs' order are the ones a
single process gives, row for row.

Forking is only safe where no other thread may hold a lock at that moment, so it is used only
when the caller's process has a single thread (the ``match-names`` command, a script); inside a
threaded host (a Prefect worker) matching stays in-process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from screening import progress

PARALLEL_MIN_NAMES = 20_000
"""Fewer distinct names than this are matched in-process: forking would cost more than it
saves."""

_JOB: dict[str, Any] = {}

RUNS_PER_PROCESS = 16
"""The sorted names are cut into this many runs per process, handed out as processes free up:
names differ in cost (long ones, ones needing repairs cluster in the sort order), and one
equal half per process left a core idle while the slower half finished."""

OTHER_SCRIPT_COST = 2.0
"""How many names' work a name with letters outside ASCII is counted as when runs are handed
out (transliteration, look-alike letters: at least twice the work; on the 200k-name benchmark
the run holding most of them took 1.45 s of CPU against 0.6 s for a run of Latin names)."""

GC_ALLOCATIONS = 200_000
"""While names are matched, the cyclic garbage collector runs after this many new container
objects rather than Python's default 700."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Matching creates millions of short-lived tuples and lists next to a name index of
    long-lived objects, and every collection of the oldest generation walks them all (about a
    tenth of the CPU time matching 50k names, measured). Inside the block the objects that
    exist now are set aside from collection (gc.freeze: the index, the lists) and collections
    run less often; both are undone after. Only when and how often memory is reclaimed
    changes, never a result."""
    if not gc.isenabled():
        yield
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(before[0], GC_ALLOCATIONS), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork_now() -> bool:
    """This process may fork: the system can, this process runs one thread (a lock another
    thread holds would stay locked in the child) and is not itself a child of a pool."""
    return (
        hasattr(os, "fork")
        and threading.active_count() == 1
        and multiprocessing.parent_process() is None
    )


def process_count(n_names: int, workers: int) -> int:
    """How many processes to match ``n_names`` distinct names in (1 = in-process)."""
    if workers == 1 or n_names < PARALLEL_MIN_NAMES or not can_fork_now():
        return 1
    wanted = usable_cores() if workers < 0 else workers
    return max(1, min(wanted, n_names // (PARALLEL_MIN_NAMES // 2)))


def match_in_processes(
    match: Callable[..., pa.Table],
    distinct: Sequence[tuple[str, str | None]],
    index: object,
    *,
    processes: int,
    use_countries: bool,
    **options: Any,
) -> pa.Table:
    """``match(names, index, countries=..., workers=1, **options)`` over contiguous runs of
    ``distinct`` in ``processes`` forked children, the costliest handed out first, joined in
    the names' order."""
    size = -(-len(distinct) // (processes * RUNS_PER_PROCESS))
    runs = [distinct[i : i + size] for i in range(0, len(distinct), size)]
    # the costliest runs first (names in other scripts sort last and cost twice as much: run
    # last, their run kept one process busy for a second after the other had finished)
    order = sorted(range(len(runs)), key=lambda r: -_estimated_cost(runs[r]))
    _prepare_shared_tables(index)
    # the children find their runs in the memory they inherit: only run numbers are sent
    _JOB.update(match=match, index=index, use_countries=use_countries, options=options, runs=runs)
    advance = progress.counter("Matching names", total=len(distinct))
    parts: dict[int, pa.Table] = {}
    try:
        with multiprocessing.get_context("fork").Pool(min(processes, len(runs))) as pool:
            handed_out = pool.imap(_match_run, order, chunksize=1)
            for r, part in zip(order, handed_out, strict=True):
                parts[r] = part
                advance(len(runs[r]))
                progress.redraw()
    finally:
        _JOB.clear()
    return pa.concat_tables([parts[r] for r in range(len(runs))])


def _estimated_cost(run: Sequence[tuple[str, str | None]]) -> float:
    """A run's matching work in names' worth (see OTHER_SCRIPT_COST)."""
    other_script = len(run) - sum([name.isascii() for name, _ in run])
    return len(run) + (OTHER_SCRIPT_COST - 1) * other_script


def _prepare_shared_tables(index: object) -> None:
    """Build the look-up tables every child needs in the parent, once: forked children share
    them instead of each building its own."""
    from screening.names.commonness import word_zipf_table
    from screening.names.repair import prepare

    known = getattr(index, "known_words", None)
    if known is not None:
        prepare(known)
    for memo in ("entry_columns", "_key_ids_by_key"):
        build = getattr(index, memo, None)
        if build is not None:
            build()
    word_zipf_table()


def _match_run(number: int) -> pa.Table:
    progress.forget_display()
    run: Sequence[tuple[str, str | None]] = _JOB["runs"][number]
    names = [name for name, _ in run]
    countries = [country for _, country in run] if _JOB["use_countries"] else None
    return _JOB["match"](names, _JOB["index"], countries=countries, workers=1, **_JOB["options"])
