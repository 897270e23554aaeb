"""Every tunable of name matching, declared once with its type, default and description.

Why: a score an analyst is asked to trust must be reproducible, so a run records the exact
values it matched with (``describe()`` goes into the run manifest), and no number that changes
a score hides as a constant in some module. The feature weights are points on the 0-100 scale;
negative weights are "qualifiers": evidence against a match (see screening.names.features).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _setting(default: Any, description: str) -> Any:
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class MatchSettings:
    """The tunables of the name matcher (one frozen instance per run)."""

    flag_threshold: float = _setting(
        88.0,
        "Score (0-100) at or above which a party match is a flag; one definition for `run`, "
        "`match-names` and `compare`.",
    )
    token_weight_share: float = _setting(
        0.7,
        "Share of the name-similarity score from IDF-weighted word overlap (Dice); the rest is "
        "token-sort string similarity.",
    )
    weak_alias: float = _setting(
        -15.0, "Points for a list name that is only an OFAC weak a.k.a. (broad by design)."
    )
    recut: float = _setting(
        -1.0, "Points for a name read with its spaces moved or a slip repaired (a guess)."
    )
    one_word_spelling: float = _setting(
        -6.0, "Points when a name's only distinctive word is spelt differently (KINET / KINEF)."
    )
    one_slip_spelling: float = _setting(
        -1.0,
        "Points instead of one_word_spelling when the one word differs by a single slip in a "
        "long word (VETRIKAL / VERTIKAL).",
    )
    country_agreement: float = _setting(
        3.0, "Points when the party's country is one of the listed entry's countries."
    )
    country_conflict: float = _setting(
        -8.0, "Points when both sides name countries and none agree (missing is neutral)."
    )
    legal_form_conflict: float = _setting(
        -13.0,
        "Points when both names state legal forms and no pair of them is compatible "
        "(Deutsche Bank AG / GmbH); missing is neutral.",
    )
    one_word_legal_form_conflict: float = _setting(
        -15.0, "Points instead of legal_form_conflict when only one distinctive word is shared."
    )
    place_qualifier_conflict: float = _setting(
        -15.0,
        "Points when both names give a country in brackets and none agree (Bank of China "
        "(Hong Kong) / (Singapore): sister entities); one side only is neutral.",
    )
    one_common_word: float = _setting(
        -11.0, "Points for a list name whose one distinctive word is a very common word (ATLAS)."
    )
    two_common_words: float = _setting(
        -8.0, "Points for a person named by two common words (ALI SALIM)."
    )
    common_word_zipf: float = _setting(
        3.5, "Zipf frequency from which a word counts as an ordinary dictionary word."
    )
    very_common_word_zipf: float = _setting(
        4.0, "Zipf frequency from which a word counts as very common (full one_common_word)."
    )
    abbreviation_similarity: float = _setting(
        0.85,
        "Similarity given to a short word read as an abbreviation of a list word (AVN / "
        "AVIATION, HLD / HOLDING): its prefix or its consonant skeleton.",
    )
    min_abbreviation_len: int = _setting(
        3, "Shortest word read as an abbreviation (prefix or consonant skeleton)."
    )
    corroboration_margin: float = _setting(
        0.5,
        "A match needing corroboration (a repaired slip in a short name, a personal name) "
        "without an agreeing country or identifier is held this far below the flag threshold.",
    )
    max_short_name_words: int = _setting(
        2,
        "A name with at most this many distinctive words is short (needs corroboration "
        "when it rests on a repaired slip).",
    )
    max_candidates_per_name: int = _setting(
        100, "Most list names scored per trade name from the rare-word index."
    )
    batch_size: int = _setting(20000, "Trade names matched per batch (bounds memory).")

    def describe(self) -> dict[str, dict[str, Any]]:
        """Each tunable: its type, default, value in use and description (for the manifest)."""
        return {
            f.name: {
                "type": f.type if isinstance(f.type, str) else f.type.__name__,
                "default": f.default,
                "value": getattr(self, f.name),
                "description": f.metadata["description"],
            }
            for f in dataclasses.fields(self)
        }

    def with_values(self, **values: Any) -> MatchSettings:
        """A copy with some tunables changed (unknown names are an error)."""
        return dataclasses.replace(self, **values)


settings = MatchSettings()
"""The defaults every caller uses unless a run configures others."""


def describe() -> dict[str, dict[str, Any]]:
    """The default name-matching tunables, as recorded in a run manifest."""
    return settings.describe()


__all__ = ["MatchSettings", "describe", "settings"]
