"""Name normalisation, candidate index and matching of trade parties against list names."""

from screening.names.index import NameIndex
from screening.names.match import (
    DEFAULT_THRESHOLD,
    Comparison,
    compare_names,
    match_names,
    score_name_pairs,
)
from screening.names.normalise import (
    NormalisedName,
    normalise_company_name,
    normalise_name,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Comparison",
    "NameIndex",
    "NormalisedName",
    "compare_names",
    "match_names",
    "normalise_company_name",
    "normalise_name",
    "score_name_pairs",
]
