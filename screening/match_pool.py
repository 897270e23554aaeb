"""Party names matched in forked worker processes while the run is still reading its input.

Why: in a run on one machine, matching the distinct (party name, country) pairs is most of the
CPU time, and reading and pre-screening the records is one process's work. Matching the names
of each batch as soon as the batch is read keeps every core busy from the start, where
matching after reading left all cores but one idle while the input was read.

Why forked at the start of the run: a forked child shares (and, in the resident memory the
system reports, counts again) everything its parent holds at that moment. Forked before the
lists, the records and the batch summaries exist, each worker holds only the code and its own
copy of the name index (read from the run's index cache); forked later, every worker would
count the parent's tables again.

Each job is a slice of pairs no earlier job held; each pair's hits depend on that pair alone,
so the joined result is the one a single process gives for the whole input, in another row
order (the run joins it back by key).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from screening import progress
from screening.config import ScreeningConfig
from screening.geo.chains import remember_party_keys

JOB_PAIRS = 4_000
"""Distinct pairs per job: small enough that the processes finish together, large enough that
the per-job cost (pickling the slice and its hits) stays small."""

_WORKER: dict[str, Any] = {}

JobResult = tuple[pa.Table, dict[str, str | None], float]
"""A job's hits, its names' keys, and the seconds it took."""


def can_fork(processes: int) -> bool:
    """Forking is safe only from a single-threaded process (no other thread can hold a lock
    the child would inherit) that is not itself a worker; a display's refresh thread is paused
    around the fork (see :func:`screening.progress.refresh_thread_paused`)."""
    if processes < 2 or not hasattr(os, "fork"):
        return False
    if multiprocessing.parent_process() is not None:
        return False
    live = getattr(getattr(progress, "_display", None), "live", None)
    display_threads = 1 if getattr(live, "_refresh_thread", None) is not None else 0
    return threading.active_count() - display_threads == 1


def _warm(path: str, lists: pa.Table | None = None) -> float:
    """Read the index now (while the parent reads the input), not in the first job. On a
    first run (no index cached yet, ``lists`` given) the first process to get here builds and
    caches it while the parent reads, and the others wait for its file: the parent neither
    waits for the build nor holds the built index."""
    start = time.perf_counter()
    _index(path, lists)
    return time.perf_counter() - start


def _index(path: str, lists: pa.Table | None = None) -> Any:
    if _WORKER.get("path") != path:
        from screening.pipeline import index_build_lock, load_index_file, read_or_build_index

        _WORKER.clear()
        cache = Path(path)
        if lists is not None and not cache.is_file():
            with index_build_lock(cache):  # waits here while another worker builds it
                if not cache.is_file():
                    _build_in_child(lists, cache)
        if lists is None or cache.is_file():
            _WORKER["index"] = load_index_file(cache)
        else:  # the file could not be written: build and keep it here
            _WORKER["index"] = read_or_build_index(lists, cache)
        _WORKER["path"] = path
    return _WORKER["index"]


def _build_in_child(lists: pa.Table, cache: Path) -> None:
    """Build and cache the index in a child forked for it (this worker runs one thread; the
    child shares the build lock this worker holds) that exits once the file is written: the
    build's temporaries leave with it. Built in this process, they stayed in its heap, 400 MB
    more than the index read back from the file."""
    from screening.pipeline import build_index_file

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's exit code is what the parent sees
        code = 1
        try:
            build_index_file(lists, cache)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def _match_job(path: str, config: ScreeningConfig, parties: pa.Table) -> JobResult:
    from screening.pipeline import match_distinct_parties

    start = time.perf_counter()
    keys: dict[str, str | None] = {}
    matches = match_distinct_parties(parties, _index(path), config, name_keys=keys)
    return matches, keys, time.perf_counter() - start


def _forget_display() -> None:
    progress.forget_display()


class NewPairs:
    """The (name, country) pairs of each batch that no earlier batch held, in jobs of at most
    ``JOB_PAIRS``: what a run matching while it reads sends to its workers, so that each
    distinct pair of the whole input is matched once."""

    def __init__(self, job_pairs: int = JOB_PAIRS) -> None:
        self._sent: set[str] = set()
        self._job_pairs = job_pairs

    def jobs(self, parties: pa.Table) -> list[pa.Table]:
        """The pairs of ``parties`` not seen before, each job a copy of its rows (an Arrow
        slice would pickle with the whole batch's buffers)."""
        # one string per pair, compared as sets in C: the ISO-2 country, a separator no
        # country code holds, the name (so no two pairs give one string)
        keys = pc.binary_join_element_wise(
            pc.fill_null(parties["country"], ""), pc.fill_null(parties["name"], ""), "\x1f"
        )
        new = set(keys.to_pylist())
        new.difference_update(self._sent)
        if not new:
            return []
        self._sent.update(new)
        fresh = parties.filter(pc.is_in(keys, value_set=pa.array(list(new), pa.string())))
        step = self._job_pairs
        return [
            fresh.take(pa.array(range(start, min(start + step, fresh.num_rows)), pa.int64()))
            for start in range(0, fresh.num_rows, step)
        ]


class MatchPool:
    """Worker processes forked now; ``start`` names the index, ``submit`` sends each batch's
    pairs not sent before, ``result`` waits for all hits (party_match_summary rows) and hands
    each matched name's key to :func:`screening.geo.chains.remember_party_keys` (the workers
    read it off the names they normalised to match them)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        with progress.refresh_thread_paused():
            self._pool: Pool | None = multiprocessing.get_context("fork").Pool(
                processes, initializer=_forget_display
            )
        self._path: str | None = None
        self._config: ScreeningConfig | None = None
        self._jobs: deque[tuple[AsyncResult[JobResult], int]] = deque()
        self._parts: list[pa.Table] = []
        self._new = NewPairs()
        self._collected = 0
        self.pairs = 0
        self.busy_seconds = 0.0

    def start(
        self, index_path: Path, config: ScreeningConfig, lists: pa.Table | None = None
    ) -> None:
        """Workers read the index at ``index_path`` (built there by the first of them from
        ``lists`` when no cached index exists) and match with ``config`` (one thread each: the
        processes are the parallelism)."""
        assert self._pool is not None
        self._path = str(index_path)
        self._config = config
        for _ in range(self.processes):
            self._pool.apply_async(_warm, (self._path, lists))

    def submit(self, parties: pa.Table) -> int:
        """Queue the (name, country) pairs of ``parties`` that no earlier call held; returns
        how many were new."""
        assert self._pool is not None and self._path is not None
        self._collect(wait=False)
        jobs = self._new.jobs(parties)
        for job in jobs:
            pending = self._pool.apply_async(_match_job, (self._path, self._config, job))
            self._jobs.append((pending, job.num_rows))
        new = sum(job.num_rows for job in jobs)
        self.pairs += new
        return new

    def _collect(self, wait: bool, advance: Callable[[int], None] | None = None) -> None:
        """Take in the finished jobs' hits, oldest first (all, waiting, with ``wait``): their
        keys go to the run's key cache and the job is let go at once, so the hits and keys of
        a long input do not wait in the pool's results until the end of reading."""
        while self._jobs and (wait or self._jobs[0][0].ready()):
            pending, size = self._jobs.popleft()
            part, keys, seconds = pending.get()
            self._parts.append(part)
            remember_party_keys(keys)
            self.busy_seconds += seconds
            self._collected += size
            if advance is not None:
                advance(size)

    def result(self) -> pa.Table:
        """Every job's hits joined, in the order the pairs were sent."""
        advance = progress.counter("Matching names", total=self.pairs)
        advance(self._collected)
        self._collect(wait=True, advance=advance)
        parts, self._parts = self._parts, []
        self._new = NewPairs()
        if not parts:
            from screening.pipeline import party_match_summary
            from screening.schema import NAME_MATCH_SCHEMA, empty_table

            return party_match_summary(empty_table(NAME_MATCH_SCHEMA))
        return pa.concat_tables(parts)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


class ClusterMatching:
    """The pairs matched on a Dask cluster while the run is still reading, as
    :class:`MatchPool` does on this machine: each batch's new pairs are sent to the workers
    as soon as the batch is pre-screened (behind the pre-screening units, which keep the
    input flowing), and finished jobs are taken in as reading goes on. Matching after the
    whole input was read left the workers waiting on this process's reading, and then this
    process waiting on the workers."""

    def __init__(
        self,
        executor: Any,
        match: Callable[..., Any],
        context: Any,
        job_pairs: int = JOB_PAIRS,
    ) -> None:
        """``match(job, context=context)`` gives a job's hits and its names' keys."""
        self._executor = executor
        self._match = match
        self._shared = executor.scatter(context=context)
        self._job_pairs = job_pairs
        self._new = NewPairs(job_pairs)
        self._running: deque[tuple[int, Any]] = deque()
        self._parts: dict[int, pa.Table] = {}
        self._sent = 0
        self.pairs = 0

    def submit(self, parties: pa.Table) -> int:
        """Send the pairs of ``parties`` that no earlier call held; returns how many."""
        self._collect(wait=False)
        new = 0
        for job in self._new.jobs(parties):
            future = self._executor.submit(self._match, job, priority=-1, **self._shared)
            self._running.append((self._sent, future))
            self._sent += 1
            new += job.num_rows
        self.pairs += new
        return new

    def _collect(self, wait: bool, advance: Callable[[int], None] | None = None) -> None:
        """Take in the finished jobs' hits (all, waiting, with ``wait``); their keys go to the
        run's key cache and the job is let go at once. A failed job raises its error."""
        still: deque[tuple[int, Any]] = deque()
        while self._running:
            number, future = self._running.popleft()
            if not (wait or future.done()):
                still.append((number, future))
                continue
            matches, keys = future.result()
            self._parts[number] = matches
            remember_party_keys(keys)
            if advance is not None:
                advance(1)
        self._running = still

    @property
    def jobs_sent(self) -> int:
        return self._sent

    def jobs_done(self) -> int:
        """How many jobs have finished so far (taken in or not)."""
        return len(self._parts) + sum(1 for _, future in self._running if future.done())

    def result(self) -> pa.Table:
        """Every job's hits joined, in the order the pairs were sent."""
        advance = progress.counter("Matching names", total=self._sent)
        advance(len(self._parts))
        self._collect(wait=True, advance=advance)
        parts = [self._parts[n] for n in sorted(self._parts)]
        self._parts = {}
        self._new = NewPairs(self._job_pairs)
        if not parts:
            from screening.pipeline import party_match_summary
            from screening.schema import NAME_MATCH_SCHEMA, empty_table

            return party_match_summary(empty_table(NAME_MATCH_SCHEMA))
        return pa.concat_tables(parts)


def pool_processes(config: ScreeningConfig, cores: Sequence[int] | None = None) -> int:
    """How many matching processes a run on this machine uses: ``config.workers``, or every
    usable core for -1."""
    from screening.names.bulk import usable_cores

    if config.workers > 0:
        return config.workers
    return len(cores) if cores is not None else usable_cores()
