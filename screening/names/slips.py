"""A one-to-one comparison reads a one-letter slip in one word as that word repaired.

Why: when an analyst compares two given names (``dualuse compare``), `Schell plc` / `Shell
plc`, `Vital Holding S.A.` / `Vitol Holding S.A.` or `Samsong Electronics` / `Samsung
Electronics` differ by a single typed letter in a single word: the way clerks and data entry
misspell a name, not how two firms are told apart. The fuzzy word overlap of the name
similarity gives such a word only part of its weight (0.8 for a one-letter slip in a five-letter
word), and the one-distinctive-word features then count it as another name, so the pair ends
far below the threshold. Read with the slip repaired, the pair is scored as the same name with
the doubt of a repair (``repaired_reading``) and the explanation says which letter was read.

Screening (``run``, ``match-names``) never uses this reading: there a trade name is searched
against every list name, where some list word is one letter away from many ordinary words, and
a repaired slip in a short name still needs an agreeing country or identifier
(screening.names.features.needs_corroboration). The rule is narrow on purpose: the names agree
in every other word; exactly one word differs, by one insertion, deletion, substitution or
swap of neighbouring letters, as written too (folding merges doubled letters: ESTRELLA is not
one letter from STRELA); both spellings are letters only and at least MIN_WORD_LEN long
(three-letter words are mostly acronyms: CVC / CVS are two firms), and a four-letter word
counts only beside another distinctive word the names share (TASO / TACO alone are two firms);
series markers (Roman numerals: Fund VII / VIII) are never a slip.
"""

from __future__ import annotations

import dataclasses
import re

from rapidfuzz.distance import OSA

from screening.names.normalise import NormalisedName

MIN_WORD_LEN = 4
"""Shortest word whose one-letter slip is read as repaired (BETA / META, BENN / BENZ)."""

MIN_LONE_WORD_LEN = 5
"""A shorter slipped word counts only beside another distinctive word both names share (BETA
PLATFORMS / META PLATFORMS, not TASO / TACO)."""

_ROMAN = re.compile(r"^[ivxlcdm]+$")


def slipped_word(first: NormalisedName, second: NormalisedName) -> tuple[str, str] | None:
    """(word of ``first``, word of ``second``) when the names differ only in that one word and
    it is one slip apart; otherwise None."""
    ours, theirs = set(first.tokens), set(second.tokens)
    only_ours, only_theirs = ours - theirs, theirs - ours
    if len(only_ours) != 1 or len(only_theirs) != 1 or len(first.tokens) != len(second.tokens):
        return None
    (a,), (b,) = only_ours, only_theirs
    if min(len(a), len(b)) < MIN_WORD_LEN or not (a.isalpha() and b.isalpha()):
        return None
    if _ROMAN.match(a) and _ROMAN.match(b):
        return None
    if OSA.distance(a, b, score_cutoff=1) > 1:
        return None
    # folded keys merge doubled letters (ESTRELLA -> estrela): one letter apart as written too
    written_a, written_b = first.as_written(a).lower(), second.as_written(b).lower()
    if OSA.distance(written_a, written_b, score_cutoff=1) > 1:
        return None
    shortest = min(len(written_a), len(written_b))
    if shortest < MIN_LONE_WORD_LEN and not _another_word_agrees(first, second):
        return None
    return a, b


def _another_word_agrees(first: NormalisedName, second: NormalisedName) -> bool:
    """A distinctive (not generic) word both names share."""
    shared = set(first.tokens) & set(second.tokens)
    return bool(shared - first.generic_tokens - second.generic_tokens)


def one_slip_reading(first: NormalisedName, second: NormalisedName) -> NormalisedName | None:
    """``first`` read with its one slipped word repaired into ``second``'s word, or None."""
    slip = slipped_word(first, second)
    if slip is None:
        return None
    a, b = slip
    return dataclasses.replace(
        first,
        tokens=tuple(b if t == a else t for t in first.tokens),
        generic_tokens=first.generic_tokens | (second.generic_tokens & {b}),
        recut=(*first.recut, f"{first.as_written(a)} -> {second.as_written(b)}"),
        written=(*first.written, (b, first.as_written(a))),
    )


__all__ = ["MIN_LONE_WORD_LEN", "MIN_WORD_LEN", "one_slip_reading", "slipped_word"]
