"""The review store's part in one screening run, as four small calls for the run's driver.

    review = RunReview.open(db, paths, only_new=only_new)
    trades = review.select(trades)                       # --only-new: drop records seen
    batch = review.apply(batch, reference.lists)         # after party matching, before risk
    manifest["review"] = review.summary(screened)        # counts for the manifest
    ...write the outputs...
    review.record(screened, reference.list_versions)     # only once the outputs are written

Batches may be fed one at a time (a streaming run): counts add up across calls. A streamed run
records what its parts gathered with ``start_recording(sightings, versions)`` while it writes
its last files, and ``.commit()`` once they are in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from screening.review.carry import DecisionCounts, apply_decisions, unflagged_by_decision
from screening.review.pending import PendingRecord
from screening.review.seen import (
    RunSightings,
    file_hashes,
    keep_unseen,
    record_run,
)
from screening.review.store import Decision, ReviewStore, redacted


class RunReview:
    """Decisions and seen records of one run. Not a dataclass: it travels as one piece."""

    def __init__(
        self,
        store: ReviewStore,
        hashes: Mapping[str, str],
        *,
        only_new: bool = False,
    ) -> None:
        self.store = store
        self.hashes = dict(hashes)
        self.only_new = only_new
        self.decisions: dict[tuple[str, str, str], Decision] = store.current_decisions()
        self.counts = DecisionCounts()
        self.rows_skipped = 0
        self.files: dict[str, dict[str, int]] = {}

    @classmethod
    def open(
        cls, db: str | None, paths: Iterable[str | Path], *, only_new: bool = False
    ) -> RunReview:
        from screening.review.store import open_store

        return cls(open_store(db), file_hashes(paths), only_new=only_new)

    def select(self, trades: pa.Table) -> pa.Table:
        """With only_new, the records no earlier run has screened; else all of them. Counts
        screened and skipped records per file."""
        kept, skipped = (
            keep_unseen(trades, self.store, self.hashes) if self.only_new else (trades, 0)
        )
        self.rows_skipped += skipped
        for key, source in (("rows_read", trades), ("rows_screened", kept)):
            counts = pc.value_counts(source["source_file"]).to_pylist() if source.num_rows else []
            for item in counts:
                tally = self.files.setdefault(item["values"], {"rows_read": 0, "rows_screened": 0})
                tally[key] += item["counts"]
        return kept

    def apply(self, batch: pa.Table, lists: pa.Table) -> pa.Table:
        """Carry the stored decisions into a matched batch (see screening.review.carry)."""
        batch, counts = apply_decisions(batch, self.decisions, lists)
        self.counts = self.counts + counts
        return batch

    def summary(self, screened: pa.Table | None = None) -> dict[str, Any]:
        """What the store did to this run, for the manifest's ``review`` section."""
        out: dict[str, Any] = {
            "store": redacted(self.store.url),
            "only_new": self.only_new,
            "rows_skipped_seen": self.rows_skipped,
            "decisions_known": len(self.decisions),
            **self.counts.to_dict(),
            "files": {
                name: {**tally, "rows_skipped_seen": tally["rows_read"] - tally["rows_screened"]}
                for name, tally in sorted(self.files.items())
            },
        }
        if screened is not None:
            out["unflagged_by_decision"] = unflagged_by_decision(screened)
        return out

    def record(self, screened: pa.Table, list_versions: Mapping[str, str]) -> dict[str, int]:
        """Mark the run's records seen and its parties screened (after outputs are written)."""
        return record_run(self.store, screened, self.hashes, list_versions)

    def start_recording(
        self, sightings: RunSightings, list_versions: Mapping[str, str]
    ) -> PendingRecord:
        """:meth:`record` from what a streamed run gathered part by part (RunSightings), in
        the background, kept only once the run commits it (see screening.review.pending)."""
        return PendingRecord(self.store, sightings, self.hashes, list_versions)

    def close(self) -> None:
        self.store.close()
