"""The files an analyst opens after a run: the review file (flagged.csv, flagged.xlsx) and the
run report (report.html), all built from the flagged records and the manifest's counts, so a
streamed run of any size produces them from bounded data.

Names are imported on first use, so that importing :mod:`screening.report.links` (as the
single-name lookup does) does not load the spreadsheet and HTML writers.
"""

from screening.lazy_exports import lazy_exports as _lazy_exports

_EXPORTS = {
    "ReportSummary": "screening.report.summary",
    "summarise_run": "screening.report.summary",
    "listed_entities": "screening.report.review_layout",
    "review_table": "screening.report.review_layout",
    "render_report": "screening.report.html",
    "write_report": "screening.report.html",
    "write_workbook": "screening.report.xlsx",
    "write_review_files": "screening.report.files",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
