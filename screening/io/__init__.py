"""Reading trade files onto the canonical fields, and writing files analysts open, safely.

Layout: ``readers/`` (one reader per format: CSV, XLSX, Parquet), ``encoding`` (CSV text
encodings), ``values/`` (dates, numbers, text), ``layouts`` (which column feeds which field),
``canonical`` (raw batches -> canonical records), ``batches`` (the streaming API), ``trade``
(whole-file loading on top of it), ``columns`` (single columns as text), ``writers``.
"""

from __future__ import annotations

from screening.io.batches import (
    TradeBatch,
    TradeFile,
    TradeFileInfo,
    iter_trade_batches,
    open_trade_file,
)
from screening.io.columns import read_text_columns
from screening.io.encoding import detect_encoding
from screening.io.layouts import (
    MAPPABLE_FIELDS,
    SCREENING_FIELDS,
    TradeMappings,
    detect_header_row,
    load_trade_mappings,
    normalise_header,
    parse_map_options,
    read_mapping_file,
)
from screening.io.trade import (
    TradeLoadResult,
    iter_trade_files,
    load_trade_file,
    load_trade_files,
    parse_trade_date,
)
from screening.io.writers import (
    escape_formulas_in_table,
    escape_spreadsheet_formula,
    write_csv_atomic,
    write_json_atomic,
    write_parquet_atomic,
)

__all__ = [
    "MAPPABLE_FIELDS",
    "SCREENING_FIELDS",
    "TradeBatch",
    "TradeFile",
    "TradeFileInfo",
    "TradeLoadResult",
    "TradeMappings",
    "detect_encoding",
    "detect_header_row",
    "escape_formulas_in_table",
    "escape_spreadsheet_formula",
    "iter_trade_batches",
    "iter_trade_files",
    "load_trade_file",
    "load_trade_files",
    "load_trade_mappings",
    "normalise_header",
    "open_trade_file",
    "parse_map_options",
    "parse_trade_date",
    "read_mapping_file",
    "read_text_columns",
    "write_csv_atomic",
    "write_json_atomic",
    "write_parquet_atomic",
]
