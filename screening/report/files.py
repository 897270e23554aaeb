"""Write the review file and the run report into a run folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from screening import progress
from screening.io.writers import write_csv_chunks_atomic
from screening.report.case_chunks import CHUNK_CASES, ReviewChunks, RowChunks, chunks_of
from screening.report.html import write_report
from screening.report.review_layout import RowTaker
from screening.report.summary import ReportSummary, summarise_run
from screening.report.xlsx import MAX_SHEET_ROWS, write_workbook

REVIEW_FILES = ("flagged", "flagged_xlsx", "report")
"""The review files by output name: flagged.csv, flagged.xlsx, report.html."""


def write_review_files(
    out_dir: str | Path,
    *,
    flagged: pa.Table,
    manifest: Mapping[str, Any],
    take_rows: RowTaker | None = None,
    row_chunks: RowChunks | None = None,
    only: tuple[str, ...] = REVIEW_FILES,
    chunk_cases: int = CHUNK_CASES,
    sheet_rows: int = MAX_SHEET_ROWS,
) -> dict[str, Path]:
    """flagged.csv, flagged.xlsx (sheets "flagged" and "by party") and report.html.

    ``flagged`` is the flagged records in review order (``pipeline.flagged_records``): the
    only per-record data the files need. A streamed run passes only the columns that group
    and count them, and ``row_chunks`` (or ``take_rows``) to read the rest from its spilled
    file (:mod:`screening.report.spill`). The review table is built ``chunk_cases`` cases at
    a time (:mod:`screening.report.case_chunks`): flagged.csv is written chunk by chunk, the
    workbook's "flagged" sheet gets only the rows it shows, and the "by party" sheet and the
    report's figures are grouped from every chunk. ``only`` names the files to write
    (``REVIEW_FILES``): a Dask run writes the workbook in one worker while another writes
    the other two. ``sheet_rows``: the cases the "flagged" sheet shows at most."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    advance = progress.counter("Writing the review files", total=len(only))
    chunks = row_chunks or chunks_of(
        take_rows or (lambda positions: flagged.take(pa.array(positions, pa.int64())))
    )
    written: dict[str, Path] = {}
    with ReviewChunks(
        flagged,
        chunks,
        work_dir=out,
        chunk_cases=chunk_cases,
        spool="flagged" in only,
        head_rows=sheet_rows if "flagged_xlsx" in only else 0,
    ) as review:
        if "flagged" in only:
            written["flagged"] = write_csv_chunks_atomic(review.chunks(), out / "flagged.csv")
            advance(1)
        if "flagged_xlsx" in only:
            written["flagged_xlsx"] = write_workbook(
                {"flagged": review.head, "by party": review.entities},
                out / "flagged.xlsx",
                max_rows=sheet_rows,
                total_rows={"flagged": review.num_cases},
            )
            advance(1)
        if "report" in only:
            summary = report_summary(
                manifest, flagged, review.entities, cases=review.num_cases, sheet_rows=sheet_rows
            )
            written["report"] = write_report(summary, out / "report.html")
            advance(1)
    return written


def report_summary(
    manifest: Mapping[str, Any],
    flagged: pa.Table,
    entities: pa.Table,
    *,
    cases: int,
    sheet_rows: int = MAX_SHEET_ROWS,
) -> ReportSummary:
    """The report's figures (:func:`~screening.report.summary.summarise_run`) from the listed
    entities of every case, saying so when flagged.xlsx shows only the first cases."""
    summary = summarise_run(manifest, flagged, entities=entities)
    if cases > sheet_rows:
        summary.extra["xlsx_note"] = (
            f"flagged.xlsx shows the first {sheet_rows:,} of {cases:,} cases "
            "(highest risk first); flagged.csv has every case."
        )
    return summary
