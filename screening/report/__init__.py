"""The files an analyst opens after a run: the review file (flagged.csv, flagged.xlsx) and the
run report (report.html), all built from the flagged records and the manifest's counts, so a
streamed run of any size produces them from bounded data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from screening.io.writers import write_csv_atomic
from screening.report.html import render_report, write_report
from screening.report.review_layout import listed_entities, review_table
from screening.report.summary import ReportSummary, summarise_run
from screening.report.xlsx import write_workbook

__all__ = [
    "ReportSummary",
    "listed_entities",
    "render_report",
    "review_table",
    "summarise_run",
    "write_report",
    "write_review_files",
    "write_workbook",
]


def write_review_files(
    out_dir: str | Path, *, flagged: pa.Table, manifest: Mapping[str, Any]
) -> dict[str, Path]:
    """flagged.csv, flagged.xlsx (sheets "flagged" and "by party") and report.html.

    ``flagged`` is the flagged records in review order (``pipeline.flagged_records``)."""
    out = Path(out_dir)
    review = review_table(flagged)
    return {
        "flagged": write_csv_atomic(review, out / "flagged.csv"),
        "flagged_xlsx": write_workbook(
            {"flagged": review, "by party": listed_entities(review)}, out / "flagged.xlsx"
        ),
        "report": write_report(summarise_run(manifest, flagged, review), out / "report.html"),
    }
