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
in every other word, in the same order; one word differs (two in a name of three words or
more, each of at least MIN_LONE_WORD_LEN letters: JPMORGON CHACE & CO), by one insertion,
deletion, substitution or swap of neighbouring letters, as written too (folding merges doubled
letters: ESTRELLA is not one letter from STRELA); both spellings are letters only and at least
MIN_WORD_LEN long (three-letter words are mostly acronyms: CVC / CVS are two firms), and a
four-letter word counts only beside another distinctive word the names share (TASO / TACO
alone are two firms); series markers (Roman numerals: Fund VII / VIII) are never a slip.
"""

from __future__ import annotations

import dataclasses
import re

from rapidfuzz.distance import OSA

from screening.names.normalise import NormalisedName
from screening.names.respaced import despaced

MIN_WORD_LEN = 4
"""Shortest word whose one-letter slip is read as repaired (BETA / META, BENN / BENZ)."""

MIN_LONE_WORD_LEN = 5
"""A shorter slipped word counts only beside another distinctive word both names share (BETA
PLATFORMS / META PLATFORMS, not TASO / TACO)."""

MAX_SLIPPED_WORDS = 2
MIN_WORDS_FOR_TWO_SLIPS = 3

_ROMAN = re.compile(r"^[ivxlcdm]+$")


def slipped_words(first: NormalisedName, second: NormalisedName) -> list[tuple[str, str]]:
    """(word of ``first``, word of ``second``) for each word the names differ in, when every
    other word agrees and each differing word is one slip apart; otherwise []. Two such words
    count only in a name of at least MIN_WORDS_FOR_TWO_SLIPS words, each of at least
    MIN_LONE_WORD_LEN letters (JPMORGON CHACE & CO / JPMORGAN CHASE & CO)."""
    if len(first.tokens) != len(second.tokens):
        return []
    differing = [(a, b) for a, b in zip(first.tokens, second.tokens, strict=True) if a != b]
    if not differing or len(differing) > MAX_SLIPPED_WORDS:
        return []
    if set(first.tokens) - {a for a, _ in differing} != set(second.tokens) - {
        b for _, b in differing
    }:
        return []
    two = len(differing) > 1
    if two and len(first.tokens) < MIN_WORDS_FOR_TWO_SLIPS:
        return []
    for a, b in differing:
        if not _one_slip(first, second, a, b, lone_len=MIN_LONE_WORD_LEN if not two else 99):
            return []
        if two and min(len(first.as_written(a)), len(second.as_written(b))) < MIN_LONE_WORD_LEN:
            return []
    return differing


def _one_slip(first: NormalisedName, second: NormalisedName, a: str, b: str, lone_len: int) -> bool:
    if min(len(a), len(b)) < MIN_WORD_LEN or not (a.isalpha() and b.isalpha()):
        return False
    if _ROMAN.match(a) and _ROMAN.match(b):
        return False
    if OSA.distance(a, b, score_cutoff=1) > 1:
        return False
    # folded keys merge doubled letters (ESTRELLA -> estrela): one letter apart as written too
    written_a, written_b = first.as_written(a).lower(), second.as_written(b).lower()
    if OSA.distance(written_a, written_b, score_cutoff=1) > 1:
        return False
    shortest = min(len(written_a), len(written_b))
    return shortest >= min(lone_len, MIN_LONE_WORD_LEN) or _another_word_agrees(first, second)


def _another_word_agrees(first: NormalisedName, second: NormalisedName) -> bool:
    """A distinctive (not generic) word both names share."""
    shared = set(first.tokens) & set(second.tokens)
    return bool(shared - first.generic_tokens - second.generic_tokens)


def one_slip_reading(first: NormalisedName, second: NormalisedName) -> NormalisedName | None:
    """``first`` read with its one slipped word repaired into ``second``'s word, or None."""
    slips = slipped_words(first, second)
    if not slips:
        return None
    repaired = dict(slips)
    return dataclasses.replace(
        first,
        tokens=tuple(repaired.get(t, t) for t in first.tokens),
        generic_tokens=first.generic_tokens | (second.generic_tokens & set(repaired.values())),
        recut=(
            *first.recut,
            *(f"{first.as_written(a)} -> {second.as_written(b)}" for a, b in slips),
        ),
        written=(*first.written, *((b, first.as_written(a)) for a, b in slips)),
    )


MIN_RESPACED_SLIP_LEN = 8
"""Fewest letters of a name read as its other spelling with spaces moved and one slip."""


def respaced_slip_reading(first: NormalisedName, second: NormalisedName) -> NormalisedName | None:
    """``first`` read as ``second`` when their words are the same letters with spaces moved and
    one slip (ANDRANG HETA / 'NDRANGHETA); None otherwise. The word counts must differ: names of
    as many words go through one_slip_reading, word by word (so Fund VII / Fund VIII stays two
    names)."""
    if len(first.tokens) == len(second.tokens):
        return None
    ours, theirs = despaced(first), despaced(second)
    if min(len(ours), len(theirs)) < MIN_RESPACED_SLIP_LEN or ours == theirs:
        return None
    if OSA.distance(ours, theirs, score_cutoff=1) > 1:
        return None
    return dataclasses.replace(
        first,
        tokens=second.tokens,
        generic_tokens=second.generic_tokens,
        recut=(*first.recut, f"{' '.join(first.words)} -> {' '.join(second.words)}"),
        written=(*first.written, *second.written),
    )


__all__ = [
    "MIN_LONE_WORD_LEN",
    "MIN_WORD_LEN",
    "one_slip_reading",
    "respaced_slip_reading",
    "slipped_words",
]
