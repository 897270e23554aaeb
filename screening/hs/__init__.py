"""HS codes: normalise what trade files write, read them in their HS edition, and classify them
against goods categories (the CHPL and any category file in the same layout)."""

from __future__ import annotations

from screening.hs.categories import (
    CATEGORY_COLUMNS,
    CATEGORY_SCHEMA,
    bundled_category_files,
    load_categories,
    read_category_file,
)
from screening.hs.chpl import CHPL_FILE, CHPL_TIERS, classify_chpl, load_chpl
from screening.hs.classify import CLASSIFICATION_SCHEMA, STATUSES, classify_hs_codes
from screening.hs.codes import (
    NATIONAL_CODE_LENGTHS,
    match_code_prefixes,
    normalise_hs_code,
    normalise_hs_codes,
)
from screening.hs.vintage import (
    HS_EDITIONS,
    convert_hs6,
    correlation_pairs,
    load_correlation,
    resolve_editions,
)

__all__ = [
    "CATEGORY_COLUMNS",
    "CATEGORY_SCHEMA",
    "CHPL_FILE",
    "CHPL_TIERS",
    "CLASSIFICATION_SCHEMA",
    "HS_EDITIONS",
    "NATIONAL_CODE_LENGTHS",
    "STATUSES",
    "bundled_category_files",
    "classify_chpl",
    "classify_hs_codes",
    "convert_hs6",
    "correlation_pairs",
    "load_categories",
    "load_chpl",
    "load_correlation",
    "match_code_prefixes",
    "normalise_hs_code",
    "normalise_hs_codes",
    "read_category_file",
    "resolve_editions",
]
