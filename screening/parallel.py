"""Where a run's batch work executes: in this process, in processes of this machine, or on a
Dask cluster.

The units of work are small and self-contained: a batch of records for the cheap stages, a
partition of distinct party names for matching. What every unit needs and is expensive (the
lists, their name index, the goods categories) is never shipped with a task: each process
loads it once through :func:`reference_for`, keyed by the configuration and the list versions
the run started with, and keeps it for the tasks that follow.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from screening.config import ScreeningConfig
from screening.errors import ScreeningError
from screening.pipeline import ReferenceData, load_reference_data

T = TypeVar("T")
R = TypeVar("R")

_REFERENCE: dict[str, ReferenceData] = {}
_REFERENCE_LOCK = threading.Lock()
_LOADS: list[str] = []
"""The keys this process loaded reference data for, in order (one per run on a worker)."""


def reference_key(config: ScreeningConfig, list_versions: dict[str, str]) -> str:
    """What decides the reference data: the list and category settings and the list versions."""
    settings = config.to_dict()
    wanted = {k: settings.get(k) for k in ("list_files", "list_store", "category_files")}
    return repr((sorted(wanted.items()), sorted(list_versions.items())))


def remember_reference(key: str, reference: ReferenceData) -> None:
    """Make an already loaded reference available to the tasks run in this process."""
    with _REFERENCE_LOCK:
        _REFERENCE.clear()
        _REFERENCE[key] = reference


def reference_for(config: ScreeningConfig, key: str) -> ReferenceData:
    """The reference data for ``key``, loaded at most once per process (per worker)."""
    with _REFERENCE_LOCK:
        found = _REFERENCE.get(key)
        if found is not None:
            return found
        reference = load_reference_data(config)
        if reference_key(config, reference.list_versions) != key:
            raise ScreeningError(
                "the lists changed while the run was going (a refresh in between?): "
                f"this worker loaded {reference.list_versions}; run again"
            )
        _REFERENCE.clear()  # one version per process: a long-lived worker does not pile them up
        _REFERENCE[key] = reference
        _LOADS.append(key)
        return reference


def reference_loads() -> list[str]:
    """The reference keys this process has loaded data for (a worker: once per run's lists)."""
    return list(_LOADS)


def warm_up(config: ScreeningConfig, key: str, with_index: bool) -> int:
    """Load this worker's reference data (and its name index, from the on-disk cache) before
    its first task needs them: done while the driver still opens and reads the input."""
    reference = reference_for(config, key)
    if with_index:
        reference.index  # noqa: B018 - read from the cache now, not in the first match task
    return len(_LOADS)


def single_threaded(config: ScreeningConfig) -> ScreeningConfig:
    """The config with one rapidfuzz thread: a Dask worker is one core's worth of work."""
    if hasattr(config, "model_copy"):
        return config.model_copy(update={"workers": 1})
    return dataclasses.replace(config, workers=1)


class _Box:
    """One scattered object (Dask would split a dict or list into one future per element)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _unboxed(func: Callable[..., R], item: Any, **boxes: _Box) -> R:
    return func(item, **{name: box.value for name, box in boxes.items()})


class LocalExecutor:
    """Runs each unit in this process, in order."""

    workers = 1
    description = "in process"

    def map(self, func: Callable[..., R], items: Iterable[T], **shared: Any) -> Iterator[R]:
        for item in items:
            yield func(item, **shared)

    def warm_up(self, func: Callable[..., Any], *args: Any) -> None:
        """Nothing to prepare ahead in this process: the caller's data is already loaded."""

    def close(self) -> None:
        return None

    def close_in_background(self) -> None:
        """Nothing runs elsewhere."""


_SHARED: dict[str, Any] = {}
"""A process's copy of the values a :class:`ProcessExecutor` shares with every unit."""


def _shared_values(path: str) -> dict[str, Any]:
    if _SHARED.get("path") != path:
        _SHARED.clear()
        with open(path, "rb") as fh:
            _SHARED["values"] = pickle.load(fh)
        _SHARED["path"] = path
    values: dict[str, Any] = _SHARED["values"]
    return values


def _run_with_shared(unit: tuple[Callable[..., R], str, Any]) -> R:
    func, path, item = unit
    return func(item, **_shared_values(path))


def _prepare_process() -> None:
    """No progress display of its own; the run's modules imported now, while the parent is
    still busy, not in the first unit."""
    import screening.run  # noqa: F401
    from screening import progress

    progress.forget_display()


def refuse_in_worker_start() -> None:
    """Refuse to start a run inside a process that is still starting as another run's worker.

    Python's multiprocessing imports the caller's main script in every process it starts
    from a fork server (or spawns). A script that calls :func:`screening.screen_files` at
    its top level, without ``if __name__ == "__main__":``, would start the whole run again
    in each of them; the run's first worker stops here, with this message, instead."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise ScreeningError(
            "a run was started while a worker process was starting: the script that calls "
            'screen_files must do so under `if __name__ == "__main__":` (Python imports it '
            "in each worker process)"
        )


class ProcessExecutor:
    """Runs units in ``processes`` new processes of this machine (from a fork server: not
    forked from this process).

    For the step of a run on one machine that comes after matching (scoring the spilled
    parts): by then this process holds the run's tables, and a forked child would be counted
    again with all of them in the memory the system reports, where these hold only the code,
    the shared values and their unit. Each process a fork server starts imports the caller's
    main script (multiprocessing's spawn preparation): a script that calls
    :func:`screening.screen_files` needs a ``__main__`` guard, as with any multiprocessing
    pool; without one, the worker stops at :func:`refuse_in_worker_start` and the run fails
    with :class:`~screening.errors.ScreeningError` (a ``concurrent.futures`` pool notices a
    worker that died, where a ``multiprocessing.Pool`` would start it again for ever).
    Start it early (its processes import the library while this one works) and close it
    when done. ``shared`` values are written once to a file in ``work_dir`` that each
    process reads at its first unit, not sent with every unit."""

    def __init__(self, processes: int, work_dir: Path) -> None:
        context = multiprocessing.get_context("forkserver")
        # the fork server itself need not import the caller's script, only the library
        context.set_forkserver_preload(["screening.run"])
        self._pool = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_prepare_process
        )
        self._work_dir = work_dir
        self._maps = 0
        self.workers = processes
        self.description = f"{processes} local processes"
        try:  # start the processes now (the pool starts one per unit submitted)
            for _ in range(processes):
                self._pool.submit(int)
        except BrokenProcessPool as error:
            raise _broken(error) from error

    def map(self, func: Callable[..., R], items: Iterable[T], **shared: Any) -> Iterator[R]:
        """Results in input order, each as soon as it and those before it are done."""
        self._maps += 1
        path = self._work_dir / f"shared-{self._maps}.pickle"
        with open(path, "wb") as fh:
            pickle.dump(shared, fh, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            yield from self._pool.map(_run_with_shared, ((func, str(path), i) for i in items))
        except BrokenProcessPool as error:
            raise _broken(error) from error
        finally:
            path.unlink(missing_ok=True)

    def warm_up(self, func: Callable[..., Any], *args: Any) -> None:
        """Nothing to load ahead: units bring what they need."""

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def close_in_background(self) -> None:
        """Closing is quick (the processes hold no lists); done in :meth:`close`."""


def _broken(error: BrokenProcessPool) -> ScreeningError:
    return ScreeningError(
        "a worker process of this run stopped unexpectedly (its error is printed above; "
        'a script that calls screen_files needs `if __name__ == "__main__":`; '
        f"or the machine ran out of memory): {error}"
    )


def _exit_without_teardown() -> None:
    """Make this (LocalCluster worker) process end without freeing its objects one by one
    once Dask has closed it: tearing down the lists and the name index took a worker 1-2 s
    of CPU at the end of a run, beside the run's own last steps (and more than the nanny's
    4 s grace under load, when it was killed). Exit handlers run last registered first:
    those registered before this one (at import: logging's, whose handlers flush every
    record anyway) are skipped."""
    import atexit
    import os

    atexit.register(os._exit, 0)


class DaskExecutor:
    """Runs units on a Dask cluster: an existing one (``address``) or a LocalCluster of
    ``workers`` single-threaded processes that lives as long as this executor."""

    def __init__(self, *, address: str | None = None, workers: int | None = None) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if address:
            self.client = Client(address, timeout="30s")
            self.description = f"Dask cluster at {address}"
        else:
            count = max(1, int(workers or 1))
            self._cluster = LocalCluster(
                n_workers=count,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=0,
            )
            self.client = Client(self._cluster)
            self.client.run(_exit_without_teardown)  # our own workers only, never a user's
            self.description = f"Dask LocalCluster, {count} worker process(es)"
        self.workers = max(1, len(self.client.scheduler_info()["workers"]))
        self._warming: list[Any] = []
        self._closing: threading.Thread | None = None

    def warm_up(self, func: Callable[..., Any], *args: Any) -> None:
        """Run ``func(*args)`` once on every worker, without waiting: each worker's first
        tasks queue behind it (tasks run one at a time per single-threaded worker)."""
        for address in self.client.scheduler_info()["workers"]:
            self._warming.append(
                self.client.submit(
                    func, *args, workers=[address], allow_other_workers=False, pure=False
                )
            )

    def scatter(self, **shared: Any) -> dict[str, Any]:
        """Values every unit of a series needs, sent to each worker once (for :meth:`submit`)."""
        return {
            name: self.client.scatter(_Box(value), broadcast=True, hash=False)
            for name, value in shared.items()
        }

    def submit(
        self, func: Callable[..., R], item: Any, *, priority: int = 0, **scattered: Any
    ) -> Any:
        """One unit now (a Dask future): ``func(item, **values)``, the values from
        :meth:`scatter`. A higher ``priority`` runs first among the units waiting in the cluster."""
        return self.client.submit(_unboxed, func, item, pure=False, priority=priority, **scattered)

    def map(self, func: Callable[..., R], items: Iterable[T], **shared: Any) -> Iterator[R]:
        """Results in input order. At most two units per worker wait or run in the cluster
        at a time, so a long input is never all in its memory at once; the next unit is sent
        as soon as any one finishes, not only when the oldest has, so one slow unit does not
        leave the other workers idle. ``shared`` values go to each worker once (scattered),
        not with every task."""
        from distributed import as_completed

        scattered = self.scatter(**shared)
        limit = 2 * self.workers
        source = iter(items)
        running: dict[Any, int] = {}
        finished: dict[int, Any] = {}
        """Units done before an earlier, slower one: their results wait here (bounded too)."""
        completed = as_completed()
        sent = 0
        exhausted = False

        def send_more() -> None:
            nonlocal sent, exhausted
            while not exhausted and len(running) < limit and len(finished) < 4 * limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    return
                with warnings.catch_warnings():
                    # a batch of records goes with its task on purpose, once: not Dask's case
                    # of data repeated in a graph, that its "large graph" warning is about
                    warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
                    future = self.client.submit(_unboxed, func, item, pure=False, **scattered)
                running[future] = sent
                completed.add(future)
                sent += 1

        send_more()
        following = 0
        while running or finished:
            if following in finished:
                future = finished.pop(following)
                following += 1
                send_more()
                yield future.result()
                continue
            future = next(completed)
            finished[running.pop(future)] = future
            if future.status == "error":
                future.result()  # raise the unit's error now, not when its turn comes
            send_more()

    def _close_now(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def close(self) -> None:
        self._warming.clear()
        if self._closing is None:
            self._close_now()
        else:
            self._closing.join()

    def close_in_background(self) -> None:
        """Start closing (a LocalCluster's workers take seconds to exit, freeing their lists
        and index) while this process finishes its own work; :meth:`close` then waits."""
        if self._closing is None:
            self._closing = threading.Thread(target=self._close_now, name="dask-close")
            self._closing.start()


Executor = LocalExecutor | DaskExecutor | ProcessExecutor


def make_executor(address: str | None = None, workers: int | None = None) -> Executor:
    """Dask when an address or a worker count is given, else this process."""
    if address or workers:
        return DaskExecutor(address=address, workers=workers)
    return LocalExecutor()
