"""flagged.xlsx: the review file as a workbook that opens ready to filter.

What a CSV cannot carry and Excel users lost: HS codes stay text (no dropped leading zeros,
no 8.471E+09), the header row is frozen, every sheet has filters and readable column widths,
and links to list entries are clickable. Text goes through the project's formula escaping
(:func:`screening.io.writers.escape_formulas_in_table`) like every file an analyst opens, and
is written as a string cell, never as a formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from screening.io.writers import _write_atomically, escape_formulas_in_table
from screening.report.links import is_official_link

MAX_SHEET_ROWS = 1_048_575
"""Excel's row limit less the header; a longer view is cut and says so in its last row."""
MIN_WIDTH, MAX_WIDTH = 8, 60
"""Column widths in characters: wide enough for the header, capped for free-text columns."""
WIDTH_SAMPLE_ROWS = 200
TEXT_FORMAT = "@"
MONEY_FORMAT = "#,##0.00"
LINK_COLUMNS = frozenset({"exporter_match_link", "importer_match_link", "link"})
MONEY_COLUMNS = frozenset({"value", "value_total", "quantity"})
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
LINK_FONT = Font(color="0563C1", underline="single")


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


def _header_cell(sheet: Worksheet, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=name)
    cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    cell.alignment = Alignment(vertical="top", wrap_text=True)
    return cell


def _value_cell(
    sheet: Worksheet, value: Any, *, is_text: bool, is_link: bool, is_money: bool = False
) -> Any:
    if value is None:
        return None
    if is_money:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        return cell
    if is_text:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"  # never a formula, whatever the text
        cell.number_format = TEXT_FORMAT
        if is_link and is_official_link(str(value)):
            cell.hyperlink = str(value)
            cell.font = LINK_FONT
        return cell
    return value


def write_sheet(sheet: Worksheet, table: pa.Table) -> None:
    """One view: bold frozen header, autofilter over the data, widths, text cells as text."""
    safe = _text_table(table)
    for index, width in enumerate(column_widths(safe), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    last_column = get_column_letter(max(1, safe.num_columns))
    rows = min(safe.num_rows, MAX_SHEET_ROWS)
    sheet.auto_filter.ref = f"A1:{last_column}{rows + 1}"
    sheet.append([_header_cell(sheet, name) for name in safe.column_names])
    text = [pa.types.is_string(f.type) or pa.types.is_large_string(f.type) for f in safe.schema]
    # only the link columns this package fills (never a vendor's src_* column)
    links = [name in LINK_COLUMNS for name in safe.column_names]
    money = [
        name in MONEY_COLUMNS and not is_text
        for name, is_text in zip(safe.column_names, text, strict=True)
    ]
    for batch in safe.slice(0, rows).to_batches(max_chunksize=10_000):
        columns = [column.to_pylist() for column in batch.columns]
        for values in zip(*columns, strict=True):
            sheet.append(
                [
                    _value_cell(sheet, v, is_text=t, is_link=lk, is_money=m)
                    for v, t, lk, m in zip(values, text, links, money, strict=True)
                ]
            )
    if safe.num_rows > rows:
        sheet.append([f"… {safe.num_rows - rows} more rows: see flagged.csv"])


def write_workbook(views: Mapping[str, pa.Table], path: str | Path) -> Path:
    """Write one sheet per view (name -> table, in order) atomically to ``path``."""
    workbook = Workbook(write_only=True)
    for name, table in views.items():
        write_sheet(workbook.create_sheet(title=name[:31]), table)

    def save(handle: IO[bytes]) -> None:
        workbook.save(handle)

    return _write_atomically(path, save)
