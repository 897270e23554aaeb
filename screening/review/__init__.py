"""The analyst's review loop: decisions that persist between runs, only-new and list-change
re-screening.

- :mod:`~screening.review.store`: the store (SQLite by default, PostgreSQL by URL) with its
  migrations: append-only decisions, records seen, parties seen.
- :mod:`~screening.review.decisions`: read the decisions typed into a flagged CSV/XLSX.
- :mod:`~screening.review.carry`: apply the decisions to a screened batch (pure).
- :mod:`~screening.review.seen`: skip records already screened; record what a run saw.
- :mod:`~screening.review.rescreen`: re-screen seen parties against list additions/changes.
"""

from screening.review.carry import DecisionCounts, apply_decisions, unflagged_by_decision
from screening.review.decisions import ReviewFileError, canonical_decision, read_review_file
from screening.review.rescreen import RescreenResult, rescreen
from screening.review.seen import file_hashes, keep_unseen, record_run
from screening.review.store import (
    DECISIONS,
    Decision,
    ReviewStore,
    ReviewStoreError,
    default_url,
    open_store,
)

__all__ = [
    "DECISIONS",
    "Decision",
    "DecisionCounts",
    "RescreenResult",
    "ReviewFileError",
    "ReviewStore",
    "ReviewStoreError",
    "apply_decisions",
    "canonical_decision",
    "default_url",
    "file_hashes",
    "keep_unseen",
    "open_store",
    "read_review_file",
    "record_run",
    "rescreen",
    "unflagged_by_decision",
]
