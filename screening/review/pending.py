"""A run's sightings written into the review store beside its last steps, kept only once its
outputs are in place.

The store must not say a run's records were seen before the run's outputs exist: a run that
fails after recording would have ``--only-new`` skip records nobody can review. Recording
after the outputs are in place kept that promise, but its few seconds (folding the sightings,
keying the parties, upserting them: 4 s for the 200k parties of a 1M-row run) then came after
everything else, while the cores sat idle. A :class:`PendingRecord` does the same writes
earlier, in a thread, inside one transaction that waits for the run's word: :meth:`commit`
once the outputs are in place, :meth:`abandon` if they never will be (then nothing of it is
kept). One transaction also keeps the record whole: no file's rows marked seen without its
parties.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from screening.review.seen import RunSightings, record_sightings
from screening.review.store import ReviewStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

BACKGROUND_NICENESS = 10
"""How much lower than the run's own work the recording thread is scheduled (Linux nice)."""


def _yield_to_the_run() -> None:
    """Lower this thread's scheduling priority (Linux applies a nice value to one thread):
    the record has until the outputs are in place, and on a machine whose cores are all busy
    (a Dask run's workers writing the review files) it should take what they leave, not slow
    the workbook that the run waits for. Elsewhere it runs at the process's priority."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


class _Abandoned(Exception):
    """Raised inside the transaction to roll it back."""


class PendingRecord:
    """Records ``sightings`` in a background thread, within one write transaction that is
    committed by :meth:`commit` and rolled back by :meth:`abandon` (or by an error).

    While it waits, the transaction holds the store's write lock (SQLite: other writers wait
    up to ``SQLITE_WAIT_SECONDS``; readers do not wait). Always end it: a run calls
    :meth:`abandon` on its way out, which does nothing once committed."""

    def __init__(
        self,
        store: ReviewStore,
        sightings: RunSightings,
        hashes: Mapping[str, str],
        list_versions: Mapping[str, str],
    ) -> None:
        self._decided = threading.Event()
        self._keep = False
        self._counts: dict[str, int] | None = None
        self._error: BaseException | None = None
        self.seconds = 0.0
        """Time spent writing (not waiting for the run's word)."""
        hashes, list_versions = dict(hashes), dict(list_versions)

        def write(connection: Connection) -> dict[str, int]:
            return record_sightings(store, sightings, hashes, list_versions, connection)

        self._thread = threading.Thread(
            target=self._record,
            args=(store, write, sightings.close),
            name="review-record",
            daemon=True,
        )
        self._thread.start()

    def _record(
        self,
        store: ReviewStore,
        write: Callable[[Connection], dict[str, int]],
        finally_: Callable[[], None],
    ) -> None:
        """``write`` within one transaction of ``store``, kept or rolled back on the run's
        word; ``finally_`` once it ends either way (drops the spilled sightings)."""
        _yield_to_the_run()
        start = time.perf_counter()
        try:
            with store.transaction() as connection:
                counts = write(connection)
                self.seconds = time.perf_counter() - start
                self._decided.wait()
                if not self._keep:
                    raise _Abandoned
                start = time.perf_counter()
            self.seconds += time.perf_counter() - start  # the commit
            self._counts = counts
        except _Abandoned:
            pass
        except BaseException as exc:
            self._error = exc
        finally:
            finally_()

    def commit(self) -> dict[str, int]:
        """Keep the record (the run's outputs are in place): its counts once committed. An
        error of the recording (or of the commit) is raised here."""
        self._keep = True
        self._decided.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._counts is not None
        return self._counts

    def abandon(self) -> None:
        """Drop the record (the run did not finish); nothing once it was committed."""
        self._decided.set()
        self._thread.join()
