"""Reference-list parsers: every supported list file becomes rows of LIST_ENTRY_SCHEMA.

One module per source format (``ofac_sdn_csv``, ``trade_csl``), registered in
:mod:`screening.lists.registry`; :mod:`screening.lists.bundled` serves the lists shipped in
reference_lists/ and checks them against manifest.yml.
"""

from __future__ import annotations

from screening.lists.bundled import (
    bundled_list_paths,
    load_bundled_lists,
    verify_reference_files,
)
from screening.lists.ofac_sdn_csv import parse_ofac_sdn_csv
from screening.lists.registry import detect_list_format, parse_list_files
from screening.lists.trade_csl import parse_trade_csl_csv

__all__ = [
    "bundled_list_paths",
    "detect_list_format",
    "load_bundled_lists",
    "parse_list_files",
    "parse_ofac_sdn_csv",
    "parse_trade_csl_csv",
    "verify_reference_files",
]
