"""Name normalisation, candidate index and matching of trade parties against list names.

The model (screening.names.model.NameMatcher) is name similarity qualified by the weighted
features of screening.names.features; every tunable is declared in screening.names.tunables
(``settings.describe()`` is what a run manifest records).
"""

from screening.names import tunables as _tunables
from screening.names.index import NameIndex
from screening.names.match import (
    DEFAULT_THRESHOLD,
    Comparison,
    compare_names,
    match_names,
    score_name_pairs,
)
from screening.names.model import DEFAULT_MATCHER, Matcher, NameMatcher
from screening.names.normalise import (
    NormalisedName,
    normalise_company_name,
    normalise_name,
)
from screening.names.tunables import MatchSettings, describe

settings = _tunables.settings
"""The default name-matching tunables (MatchSettings); ``settings.describe()`` for a manifest."""

__all__ = [
    "DEFAULT_MATCHER",
    "DEFAULT_THRESHOLD",
    "Comparison",
    "MatchSettings",
    "Matcher",
    "NameIndex",
    "NameMatcher",
    "NormalisedName",
    "compare_names",
    "describe",
    "match_names",
    "normalise_company_name",
    "normalise_name",
    "score_name_pairs",
    "settings",
]
