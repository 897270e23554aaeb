"""Reference-list parsers: every supported list file becomes rows of LIST_ENTRY_SCHEMA.

``parsers/``: one module per source format (``ofac_sdn_csv``, ``trade_csl``...), registered in
``FORMATS`` (:mod:`screening.lists.parsers.registry`), beside the shared extraction of
identifiers and aliases and the table builders. ``store/``: the catalogue of official sources,
download, refresh, local import, the snapshot store, diffs, and the copies bundled in
reference_lists/ (checked against manifest.yml). The names below are the public surface.
"""

from __future__ import annotations

from screening.lists.parsers.ofac_sdn_csv import parse_ofac_sdn_csv
from screening.lists.parsers.registry import (
    FORMATS,
    ListFormat,
    detect_list_format,
    keep_newest_versions,
    parse_list_files,
)
from screening.lists.parsers.trade_csl import parse_trade_csl_csv
from screening.lists.store.bundled import (
    bundled_list_paths,
    load_bundled_lists,
    verify_reference_files,
)
from screening.lists.store.snapshots import load_active_lists, load_list_path

__all__ = [
    "FORMATS",
    "ListFormat",
    "bundled_list_paths",
    "detect_list_format",
    "keep_newest_versions",
    "load_active_lists",
    "load_bundled_lists",
    "load_list_path",
    "parse_list_files",
    "parse_ofac_sdn_csv",
    "parse_trade_csl_csv",
    "verify_reference_files",
]
