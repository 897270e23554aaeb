"""One reader per file format; :func:`open_source` picks it by the file's suffix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from screening.errors import TradeReadError
from screening.io.layouts import TradeMappings
from screening.io.readers.base import DEFAULT_BATCH_ROWS, RawBatch, RawSource
from screening.io.readers.delimited import CsvSource
from screening.io.readers.excel import XlsxSource, check_xlsx_archive, excel_cell_text
from screening.io.readers.parquet import ParquetSource, as_text

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
TRADE_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES


def open_source(
    path: Path,
    mappings: TradeMappings,
    *,
    header_row: int | None = None,
    sheet: str | int | None = None,
    extra: Sequence[str] = (),
) -> RawSource:
    """Open a trade file and find its header; its rows are read later, batch by batch."""
    if not path.is_file():
        raise TradeReadError("file not found", file=path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return XlsxSource(path, mappings, header_row=header_row, sheet=sheet, extra=extra)
    if suffix in PARQUET_SUFFIXES:
        return ParquetSource(path)
    if suffix in CSV_SUFFIXES:
        return CsvSource(path, mappings, header_row=header_row, extra=extra)
    raise TradeReadError(
        f"unsupported file type {suffix or '(none)'}: use CSV, XLSX or Parquet "
        "(save .xls files as .xlsx)",
        file=path,
    )


__all__ = [
    "CSV_SUFFIXES",
    "DEFAULT_BATCH_ROWS",
    "PARQUET_SUFFIXES",
    "TRADE_SUFFIXES",
    "XLSX_SUFFIXES",
    "CsvSource",
    "ParquetSource",
    "RawBatch",
    "RawSource",
    "XlsxSource",
    "as_text",
    "check_xlsx_archive",
    "excel_cell_text",
    "open_source",
]
