"""Reading trade files onto the canonical fields, and writing files analysts open, safely."""

from __future__ import annotations

from screening.io.columns import read_text_columns
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
    "TradeLoadResult",
    "TradeMappings",
    "detect_header_row",
    "escape_formulas_in_table",
    "escape_spreadsheet_formula",
    "iter_trade_files",
    "load_trade_file",
    "load_trade_files",
    "load_trade_mappings",
    "normalise_header",
    "parse_map_options",
    "parse_trade_date",
    "read_mapping_file",
    "read_text_columns",
    "write_csv_atomic",
    "write_json_atomic",
    "write_parquet_atomic",
]
