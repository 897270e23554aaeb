"""A one-to-one comparison reads an acronym as the words it abbreviates in the other name.

Why: lists and trade records name one organisation by its initials on one side and in full on
the other: `PLA` / `People's Liberation Army`, `PMC Redut` / `Private Military Company Redut`,
`LAREDO DTO` / `LAREDO DRUG TRAFFICKING ORGANIZATION`, `SKS STEEL COMPANY` / `SOUTH KAVEH STEEL
COMPANY`. Word overlap sees no shared word there. When an analyst compares two given names, a
word of one whose letters are, in order, the initials of consecutive words of the other is read
as those words (or those words as the acronym), and the pair is scored on that reading with the
doubt of a repair (``repaired_reading``); the explanation says what was read.

Narrow on purpose: the acronym is one word of letters only, MIN_ACRONYM_LEN to MAX_ACRONYM_LEN
long, not itself a word of the other name nor a legal form (JSC is read as a legal form); the
words it stands for are as many as its letters (short function words such as "of", "the" inside
the run are passed over: PLO / PALESTINE LIBERATION ORGANIZATION OF ...) and none of them is in
the acronym's own name. Screening (``run``, ``match-names``) does not use this reading:
searching every list name, three letters are the initials of some run of words in many of
them.
"""

from __future__ import annotations

from screening.names.features import ACRONYM_NOTE
from screening.names.normalise import NormalisedName, normalise_name

MIN_ACRONYM_LEN = 2
MAX_ACRONYM_LEN = 6
MIN_RUN_WORD_LEN = 2
"""A single letter is not a word an acronym stands for (T SERVICE is not TS)."""
PASSED_OVER = frozenset({"of", "the", "in", "and", "for", "de", "du", "des", "la", "und"})
"""Function words an acronym usually skips."""


def _expansion(acronym: str, words: tuple[str, ...]) -> tuple[int, int] | None:
    """(start, end) of the first run of ``words`` whose initials spell ``acronym``, function
    words passed over inside the run; None if there is none."""
    for start, word in enumerate(words):
        if word in PASSED_OVER or not word.startswith(acronym[0]):
            continue
        letters, end = 0, start
        while end < len(words) and letters < len(acronym):
            if words[end] in PASSED_OVER and letters:
                end += 1
                continue
            if len(words[end]) < MIN_RUN_WORD_LEN or not words[end].startswith(acronym[letters]):
                break
            letters += 1
            end += 1
        if letters == len(acronym):
            return start, end
    return None


def _is_acronym_word(word: str) -> bool:
    return MIN_ACRONYM_LEN <= len(word) <= MAX_ACRONYM_LEN and word.isalpha() and word.isascii()


Reading = tuple[tuple[str, ...], list[str]]
"""words read, and a note per acronym read ("pla -> people liberation army")"""


def _expanded(
    words: tuple[str, ...], other: tuple[str, ...], forms: frozenset[str]
) -> Reading | None:
    """``words`` with its acronyms written out as the runs of ``other`` they abbreviate."""
    out: list[str] = []
    notes: list[str] = []
    for word in words:
        run = None
        if _is_acronym_word(word) and word not in other and word not in forms:
            run = _expansion(word, other)
        if run is not None and not set(other[run[0] : run[1]]) & set(words):
            out.extend(other[run[0] : run[1]])
            notes.append(f"{ACRONYM_NOTE}{word} -> {' '.join(other[run[0] : run[1]])}")
        else:
            out.append(word)
    return (tuple(out), notes) if notes else None


def _abbreviated(
    words: tuple[str, ...], other: tuple[str, ...], forms: frozenset[str]
) -> Reading | None:
    """``words`` with runs written out in full replaced by the acronyms ``other`` uses."""
    out = list(words)
    notes: list[str] = []
    for acronym in other:
        if not _is_acronym_word(acronym) or acronym in out or acronym in forms:
            continue
        run = _expansion(acronym, tuple(out))
        if run is not None and not set(out[run[0] : run[1]]) & set(other):
            notes.append(f"{ACRONYM_NOTE}{' '.join(out[run[0] : run[1]])} -> {acronym}")
            out[run[0] : run[1]] = [acronym]
    return (tuple(out), notes) if notes else None


def acronym_reading(first: NormalisedName, second: NormalisedName) -> NormalisedName | None:
    """``first`` read with its acronyms written out as ``second`` writes them, or with the
    words ``second`` abbreviates as its acronym; None when neither applies."""
    words, other = first.words, second.words
    if not words or not other:
        return None
    # legal forms (JSC, LLC, OOO) are read as legal forms, not as acronyms of the other name
    forms = frozenset(w for form in (*first.removed, *second.removed) for w in form.split())
    read = _expanded(words, other, forms) or _abbreviated(words, other, forms)
    if read is None:
        return None
    reading = normalise_name(" ".join(read[0]), may_be_cut=False, repairs=read[1])
    if not reading.tokens or reading.tokens == first.tokens:
        return None
    return reading


__all__ = ["acronym_reading"]
