"""The name-matching model behind one small interface: a name, its configuration, a score.

Why: screening (`run`), `match-names` and `compare` must score two names alike, and a run must
record how it scored. ``NameMatcher`` is the one model: the name similarity of
screening.names.match (weighted word overlap and string similarity over the readings of a
name) qualified by the weighted features of screening.names.features, with every tunable in
screening.names.settings. ``docs()`` lists each feature with its weight and its docstring, the
text an analyst or auditor reads to know what a score is made of.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from screening.names.features import FEATURES
from screening.names.index import NameIndex
from screening.names.match import Comparison, match_names, score_name_pairs
from screening.names.tunables import MatchSettings, settings


class Matcher(Protocol):
    """What every name matcher offers: a name, its tunables, and a score for two names."""

    name: str
    config: MatchSettings

    def score(self, name_a: str, name_b: str) -> Comparison: ...


@dataclass(frozen=True)
class NameMatcher:
    """The default matcher: name similarity qualified by weighted features (logic-v2 style)."""

    name: str = "features-v1"
    config: MatchSettings = field(default=settings)

    def score(self, name_a: str, name_b: str) -> Comparison:
        """Score one pair of names, as match-names would score name_a against a list holding
        name_b."""
        return self.score_pairs([name_a], [name_b], workers=1)[0]

    def score_pairs(
        self,
        names_a: Sequence[str],
        names_b: Sequence[str],
        *,
        reference: NameIndex | None = None,
        workers: int = -1,
    ) -> list[Comparison]:
        return score_name_pairs(
            names_a, names_b, reference=reference, workers=workers, config=self.config
        )

    def match(
        self,
        names: Iterable[str | None],
        index: NameIndex,
        *,
        countries: Iterable[str | None] | None = None,
        top: int = 3,
        workers: int = -1,
        show_held: bool = False,
    ) -> pa.Table:
        return match_names(
            names,
            index,
            countries=countries,
            top=top,
            workers=workers,
            config=self.config,
            show_held=show_held,
        )

    def docs(self) -> dict[str, Any]:
        """The model as documentation: its tunables and each feature's weight and meaning."""
        return {
            "name": self.name,
            "threshold": self.config.flag_threshold,
            "features": [
                {
                    "name": f.name,
                    "weight": f.weight(self.config),
                    "qualifier": f.weight(self.config) < 0,
                    "description": f.doc,
                }
                for f in FEATURES
            ],
            "settings": self.config.describe(),
        }


DEFAULT_MATCHER = NameMatcher()

__all__ = ["DEFAULT_MATCHER", "Matcher", "NameMatcher"]
