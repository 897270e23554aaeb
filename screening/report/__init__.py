"""The files an analyst opens after a run: the review file (flagged.csv, flagged.xlsx) and the
run report (report.html), all built from the flagged records and the manifest's counts, so a
streamed run of any size produces them from bounded data.

Names are imported on first use, so that importing :mod:`screening.report.links` (as the
single-name lookup does) does not load the spreadsheet and HTML writers.
"""

import importlib as _importlib
import typing as _typing

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


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'screening.report' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value
