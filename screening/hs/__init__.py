"""HS codes: normalise what trade files write, and classify codes against the CHPL."""

from __future__ import annotations

from screening.hs.chpl import CHPL_FILE, CHPL_TIERS, classify_chpl, load_chpl
from screening.hs.codes import (
    NATIONAL_CODE_LENGTHS,
    match_code_prefixes,
    normalise_hs_code,
    normalise_hs_codes,
)

__all__ = [
    "CHPL_FILE",
    "CHPL_TIERS",
    "NATIONAL_CODE_LENGTHS",
    "classify_chpl",
    "load_chpl",
    "match_code_prefixes",
    "normalise_hs_code",
    "normalise_hs_codes",
]
