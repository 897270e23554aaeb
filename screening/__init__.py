"""Dual-use export screening: CHPL HS codes, listed parties and Russia-bound routes in trade data.

The public API: ``screen_files`` screens trade files into a run folder (what ``dualuse run``,
the Prefect flow and notebooks call); the steps it chains are public too. The Prefect
flow in ``flows/`` and the ``dualuse`` CLI are thin callers of these same functions.
"""

from screening.config import ScreeningConfig
from screening.errors import (
    ListParseError,
    ReferenceDataError,
    ScreeningError,
    TradeLayoutError,
    TradeReadError,
)
from screening.hs import classify_chpl, load_chpl, normalise_hs_codes
from screening.io import TradeLoadResult, load_trade_file, load_trade_files
from screening.lists import load_bundled_lists, parse_list_files
from screening.names import NameIndex, compare_names, match_names, normalise_name
from screening.outputs import build_manifest, flagged_for_review, write_run_outputs
from screening.pipeline import (
    ReferenceData,
    classify_destinations,
    classify_goods,
    flagged_records,
    load_reference_data,
    match_parties,
    screen_records,
)
from screening.risk.score import score_risk
from screening.run import RunResult, ScreeningRun, screen_files

__all__ = [
    "ListParseError",
    "NameIndex",
    "ReferenceData",
    "ReferenceDataError",
    "RunResult",
    "ScreeningConfig",
    "ScreeningError",
    "ScreeningRun",
    "TradeLayoutError",
    "TradeLoadResult",
    "TradeReadError",
    "build_manifest",
    "classify_chpl",
    "classify_destinations",
    "classify_goods",
    "compare_names",
    "flagged_for_review",
    "flagged_records",
    "load_bundled_lists",
    "load_chpl",
    "load_reference_data",
    "load_trade_file",
    "load_trade_files",
    "match_names",
    "match_parties",
    "normalise_hs_codes",
    "normalise_name",
    "parse_list_files",
    "score_risk",
    "screen_files",
    "screen_records",
    "write_run_outputs",
]
