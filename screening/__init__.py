"""Dual-use export screening: CHPL HS codes, listed parties and Russia-bound routes in trade data.

The public API: ``screen_files`` screens trade files into a run folder (what ``dualuse run``,
the Prefect flow and notebooks call); the steps it chains are public too. The Prefect
flow in ``flows/`` and the ``dualuse`` CLI are thin callers of these same functions.
"""

import typing as _typing

from screening.lazy_exports import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
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

_EXPORTS = {
    "ScreeningConfig": "screening.config",
    "ListParseError": "screening.errors",
    "ReferenceDataError": "screening.errors",
    "ScreeningError": "screening.errors",
    "TradeLayoutError": "screening.errors",
    "TradeReadError": "screening.errors",
    "classify_chpl": "screening.hs",
    "load_chpl": "screening.hs",
    "normalise_hs_codes": "screening.hs",
    "TradeLoadResult": "screening.io",
    "load_trade_file": "screening.io",
    "load_trade_files": "screening.io",
    "load_bundled_lists": "screening.lists",
    "parse_list_files": "screening.lists",
    "NameIndex": "screening.names",
    "compare_names": "screening.names",
    "match_names": "screening.names",
    "normalise_name": "screening.names",
    "build_manifest": "screening.outputs",
    "flagged_for_review": "screening.outputs",
    "write_run_outputs": "screening.outputs",
    "ReferenceData": "screening.pipeline",
    "classify_destinations": "screening.pipeline",
    "classify_goods": "screening.pipeline",
    "flagged_records": "screening.pipeline",
    "load_reference_data": "screening.pipeline",
    "match_parties": "screening.pipeline",
    "screen_records": "screening.pipeline",
    "score_risk": "screening.risk.score",
    "RunResult": "screening.run",
    "ScreeningRun": "screening.run",
    "screen_files": "screening.run",
}
"""Public name -> the module defining it, imported on first use (PEP 562): a command such as
`dualuse check` then loads only what it needs and answers quickly."""


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

__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
