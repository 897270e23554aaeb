"""flagged.xlsx: the review file as a workbook that opens ready to filter.

What a CSV cannot carry and Excel users lost: HS codes stay text (no dropped leading zeros,
no 8.471E+09), the header row is frozen, every sheet has filters and readable column widths,
and links to list entries are clickable. Text goes through the project's formula escaping
(:func:`screening.io.writers.escape_formulas_in_table`) like every file an analyst opens, and
is written as a string cell, never as a formula.

Written with XlsxWriter in ``constant_memory`` mode: rows stream to disk as they are written,
so memory does not grow with the sheet. Writing a spreadsheet cell by cell is still the
slowest output of a run (tens of microseconds a cell), so a sheet holds at most
:data:`MAX_SHEET_ROWS` rows, in review order (highest risk first); its last row then says how
many more there are and that flagged.csv has them all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from screening.io.writers import _write_atomically, escape_formulas_in_table
from screening.report.links import is_official_link

EXCEL_MAX_ROWS = 1_048_575
"""Excel's row limit less the header."""
MAX_SHEET_ROWS = 10_000
"""Rows a sheet holds at most (in review order): enough to review by hand, and written in a
few seconds. A longer view is cut and says so in its last row; flagged.csv has every case."""
MAX_LINKS_PER_SHEET = 65_530
"""Excel's limit of hyperlinks in one worksheet; later links are written as plain text."""
MIN_WIDTH, MAX_WIDTH = 8, 59
"""Column widths in characters: wide enough for the header, capped for free-text columns
(Excel stores a width about 0.7 larger, for the cell padding)."""
WIDTH_SAMPLE_ROWS = 200
TEXT_FORMAT = "@"
MONEY_FORMAT = "#,##0.00"
LINK_COLUMNS = frozenset({"exporter_match_link", "importer_match_link", "link"})
MONEY_COLUMNS = frozenset({"value", "value_total", "quantity"})
HEADER_STYLE = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1F3A5F",
    "valign": "top",
    "text_wrap": True,
}
LINK_STYLE = {"font_color": "#0563C1", "underline": 1, "num_format": TEXT_FORMAT}
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
"""Every string stays a string: never turned into a number, a formula or a link."""


def _text_table(table: pa.Table) -> pa.Table:
    """List and struct columns as "a; b" text, then formula escaping of every text cell."""
    from screening.io.writers import _flatten_for_csv

    return escape_formulas_in_table(_flatten_for_csv(table))


def column_widths(table: pa.Table) -> list[float]:
    """Header length or the longest of the first rows, within [MIN_WIDTH, MAX_WIDTH]."""
    widths = []
    sample = table.slice(0, WIDTH_SAMPLE_ROWS)
    for name in table.column_names:
        longest = max((len(str(v)) for v in sample[name].to_pylist() if v is not None), default=0)
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, len(name) + 2, longest + 1))))
    return widths


class _Styles:
    """The workbook's cell formats, created once per workbook."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.header: Format = workbook.add_format(HEADER_STYLE)
        self.text: Format = workbook.add_format({"num_format": TEXT_FORMAT})
        self.money: Format = workbook.add_format({"num_format": MONEY_FORMAT})
        self.link: Format = workbook.add_format(LINK_STYLE)


CellWriter = Callable[[int, int, Any], None]


def _cell_writers(sheet: Worksheet, safe: pa.Table, styles: _Styles) -> list[CellWriter]:
    """One writer per column: text as string cells (official links clickable), numbers as
    numbers (money formatted), anything else as its text."""
    links_written = 0

    def text(row: int, col: int, value: Any) -> None:
        sheet.write_string(row, col, str(value), styles.text)

    def link(row: int, col: int, value: Any) -> None:
        nonlocal links_written
        url = str(value)
        official = links_written < MAX_LINKS_PER_SHEET and is_official_link(url)
        if official and sheet.write_url(row, col, url, styles.link, string=url) == 0:
            links_written += 1
            return
        sheet.write_string(row, col, url, styles.text)

    def number(style: Format | None) -> CellWriter:
        def write(row: int, col: int, value: Any) -> None:
            if isinstance(value, bool):
                sheet.write_boolean(row, col, value)
                return
            if isinstance(value, Decimal):
                value = float(value)
            if isinstance(value, int | float):
                if isinstance(value, float) and not math.isfinite(value):
                    return
                sheet.write_number(row, col, value, style)
            elif isinstance(value, dt.date | dt.datetime | dt.time):
                sheet.write_string(row, col, value.isoformat(), styles.text)
            else:
                sheet.write_string(row, col, str(value), styles.text)

        return write

    writers: list[CellWriter] = []
    for field in safe.schema:
        is_text = pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
        if is_text:
            # only the link columns this package fills (never a vendor's src_* column)
            writers.append(link if field.name in LINK_COLUMNS else text)
        else:
            writers.append(number(styles.money if field.name in MONEY_COLUMNS else None))
    return writers


def write_sheet(
    sheet: Worksheet,
    table: pa.Table,
    styles: _Styles,
    *,
    max_rows: int = MAX_SHEET_ROWS,
    total_rows: int | None = None,
) -> int:
    """One view: bold frozen header, autofilter over the data, widths, text cells as text.
    Returns the rows left out (beyond ``max_rows``). ``total_rows``: the view's rows when
    ``table`` holds only its first ones (a large run builds no more than a sheet shows)."""
    rows = min(table.num_rows, max_rows, EXCEL_MAX_ROWS)
    safe = _text_table(table.slice(0, rows))
    for index, width in enumerate(column_widths(safe)):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, rows, max(1, safe.num_columns) - 1)
    for col, name in enumerate(safe.column_names):
        sheet.write_string(0, col, name, styles.header)
    writers = _cell_writers(sheet, safe, styles)
    row = 1
    for batch in safe.to_batches(max_chunksize=10_000):
        columns = [column.to_pylist() for column in batch.columns]
        for values in zip(*columns, strict=True):
            for col, (value, write) in enumerate(zip(values, writers, strict=True)):
                if value is not None:
                    write(row, col, value)
            row += 1
    left_out = (table.num_rows if total_rows is None else total_rows) - rows
    if left_out:
        sheet.write_string(
            row,
            0,
            f"… {left_out:,} more rows, not shown here: flagged.csv has every case "
            "(screened.parquet every record)",
        )
    return left_out


def write_workbook(
    views: Mapping[str, pa.Table],
    path: str | Path,
    *,
    max_rows: int = MAX_SHEET_ROWS,
    total_rows: Mapping[str, int] | None = None,
) -> Path:
    """Write one sheet per view (name -> table, in order) atomically to ``path``.
    ``total_rows``: a view's rows where its table holds only the first ``max_rows``."""

    def save(handle: IO[bytes]) -> None:
        workbook = xlsxwriter.Workbook(handle, WORKBOOK_OPTIONS)
        styles = _Styles(workbook)
        for name, table in views.items():
            write_sheet(
                workbook.add_worksheet(name[:31]),
                table,
                styles,
                max_rows=max_rows,
                total_rows=(total_rows or {}).get(name),
            )
        workbook.close()

    return _write_atomically(path, save)
