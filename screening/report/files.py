"""Write the review file and the run report into a run folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from screening import progress
from screening.io.writers import write_csv_atomic
from screening.report.html import write_report
from screening.report.review_layout import RowTaker, listed_entities, review_table
from screening.report.summary import summarise_run
from screening.report.xlsx import MAX_SHEET_ROWS, write_workbook

REVIEW_FILES = ("flagged", "flagged_xlsx", "report")
"""The review files by output name: flagged.csv, flagged.xlsx, report.html."""


def write_review_files(
    out_dir: str | Path,
    *,
    flagged: pa.Table,
    manifest: Mapping[str, Any],
    take_rows: RowTaker | None = None,
    only: tuple[str, ...] = REVIEW_FILES,
) -> dict[str, Path]:
    """flagged.csv, flagged.xlsx (sheets "flagged" and "by party") and report.html.

    ``flagged`` is the flagged records in review order (``pipeline.flagged_records``): the
    only per-record data the files need. A streamed run passes only the columns that group
    and count them, and ``take_rows`` to read the rest from its spilled file
    (:mod:`screening.report.spill`). ``only`` names the files to write (``REVIEW_FILES``):
    a Dask run writes the workbook in one worker while another writes the other two."""
    out = Path(out_dir)
    advance = progress.counter("Writing the review files", total=len(only))
    review = review_table(flagged, take_rows)
    written: dict[str, Path] = {}
    if "flagged" in only:
        written["flagged"] = write_csv_atomic(review, out / "flagged.csv")
        advance(1)
    if "flagged_xlsx" in only:
        written["flagged_xlsx"] = write_workbook(
            {"flagged": review, "by party": listed_entities(review)}, out / "flagged.xlsx"
        )
        advance(1)
    if "report" in only:
        summary = summarise_run(manifest, flagged, review)
        if review.num_rows > MAX_SHEET_ROWS:
            summary.extra["xlsx_note"] = (
                f"flagged.xlsx shows the first {MAX_SHEET_ROWS:,} of {review.num_rows:,} cases "
                "(highest risk first); flagged.csv has every case."
            )
        written["report"] = write_report(summary, out / "report.html")
        advance(1)
    return written
