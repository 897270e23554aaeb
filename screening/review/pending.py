"""A run's sightings written to the review store while its review files are still written,
committed only once its outputs are in place.

Why: marking a run's records seen and its parties screened is the driver's own work (the
store's connection lives there) and took about 2 s of a 1M-row run, all of it after the
outputs were in place, while the driver had sat idle as other processes wrote the review
files. Writing in a thread during that wait and committing after keeps the rule that matters:
the store never says a record was screened unless the run's outputs exist (a later
``--only-new`` run would skip it), because an unfinished run's transaction is rolled back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from screening.review.seen import RunSightings, record_sightings
from screening.review.store import ReviewStore


class _Abandoned(Exception):
    """Raised inside the transaction to roll it back."""


class PendingSightings:
    """Sightings written in a thread, in one transaction left open: :meth:`counts` once they
    are written, then :meth:`commit` (outputs in place) or :meth:`abandon` (run failed)."""

    def __init__(
        self,
        store: ReviewStore,
        sightings: RunSightings,
        hashes: Mapping[str, str],
        list_versions: Mapping[str, str],
    ) -> None:
        self._written = threading.Event()
        self._decided = threading.Event()
        self._commit = False
        self._counts: dict[str, int] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._record,
            args=(store, sightings, dict(hashes), dict(list_versions)),
            name="review-store",
            daemon=True,
        )
        self._thread.start()

    def _record(
        self,
        store: ReviewStore,
        sightings: RunSightings,
        hashes: dict[str, str],
        list_versions: dict[str, str],
    ) -> None:
        try:
            with store.transaction():
                self._counts = record_sightings(store, sightings, hashes, list_versions)
                self._written.set()
                self._decided.wait()
                if not self._commit:
                    raise _Abandoned
        except _Abandoned:
            pass
        except BaseException as exc:  # handed to the driver by counts() or commit()
            self._error = exc
        finally:
            self._written.set()

    def counts(self) -> dict[str, int]:
        """Records marked seen and parties recorded (written, not yet committed)."""
        self._written.wait()
        if self._error is not None:
            raise self._error
        return dict(self._counts)

    def commit(self) -> None:
        self._commit = True
        self._decided.set()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        """Roll the sightings back (the run did not finish)."""
        self._decided.set()
        self._thread.join()
