"""Name normalisation, candidate index and matching of trade parties against list names.

The model (screening.names.model.NameMatcher) is name similarity qualified by the weighted
features of screening.names.features; every tunable is declared in screening.names.tunables
(``settings.describe()`` is what a run manifest records).

Names are imported on first use (PEP 562): importing one submodule (``screening.names.tunables``
for the configuration, say) does not load the matcher, SciPy and the rest, which a single-name
lookup (``dualuse check``) would otherwise pay for before it answers.
"""

import typing as _typing

from screening.lazy_exports import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
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
    from screening.names.tunables import MatchSettings, describe, settings

_EXPORTS = {
    "NameIndex": "screening.names.index",
    "DEFAULT_THRESHOLD": "screening.names.match",
    "Comparison": "screening.names.match",
    "compare_names": "screening.names.match",
    "match_names": "screening.names.match",
    "score_name_pairs": "screening.names.match",
    "DEFAULT_MATCHER": "screening.names.model",
    "Matcher": "screening.names.model",
    "NameMatcher": "screening.names.model",
    "NormalisedName": "screening.names.normalise",
    "normalise_company_name": "screening.names.normalise",
    "normalise_name": "screening.names.normalise",
    "MatchSettings": "screening.names.tunables",
    "describe": "screening.names.tunables",
    "settings": "screening.names.tunables",
}
"""Public name -> the module defining it. ``settings`` is the default name-matching tunables
(MatchSettings); ``settings.describe()`` for a manifest."""

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

__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
