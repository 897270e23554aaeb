"""Numbers in names read one way, whether written in digits or in English words.

Why: one brigade is listed as ``Brigade 44`` and reported as ``Brigade Forty-Four`` (or
``Forty 4``), one bank as ``First International Bank`` and ``1st International Bank``, one
group as ``Three Percenters`` and ``3 Percenters``. Each number from 0 to 99 and each ordinal
up to the 99th becomes one word (``fortyfour``, ``first``), on both sides of every comparison
alike, so the two spellings are the same word and two different numbers stay two different
words (``Plant 44`` is not ``Plant 45``). Longer numbers (years, registration numbers, the
2004 of ``Trust 2004-1``) stay as written: no one spells them out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,  # a common misspelling, as names are written
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ORDINAL_UNITS = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
ORDINAL_TENS = {
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "seventieth": 70,
    "eightieth": 80,
    "ninetieth": 90,
}
_CARDINAL_OF_WORD = {w: n for n, w in enumerate(UNITS)}
_ORDINAL_OF_WORD = {w: n for n, w in enumerate(ORDINAL_UNITS)}
_DIGIT_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")
_TENS_WORD = {n: w for w, n in TENS.items() if w != "fourty"}


def cardinal_word(n: int) -> str:
    """0-99 as one word: 44 -> fortyfour, 7 -> seven."""
    if n < 20:
        return UNITS[n]
    tens, unit = divmod(n, 10)
    return _TENS_WORD[tens * 10] + (UNITS[unit] if unit else "")


def ordinal_word(n: int) -> str:
    """1st-99th as one word: 1 -> first, 21 -> twentyfirst."""
    if n < 20:
        return ORDINAL_UNITS[n]
    tens, unit = divmod(n, 10)
    if not unit:
        return next(w for w, v in ORDINAL_TENS.items() if v == n)
    return _TENS_WORD[tens * 10] + ORDINAL_UNITS[unit]


def _number_at(tokens: Sequence[str], i: int) -> tuple[str, int] | None:
    """The number starting at tokens[i] as one word, and how many tokens it took; None when
    no number starts there."""
    token = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if token.isdigit() and len(token) <= 2 and not (len(token) == 2 and token[0] == "0"):
        return cardinal_word(int(token)), 1
    if found := _DIGIT_ORDINAL.match(token):
        return ordinal_word(int(found.group(1))), 1
    if token in TENS:
        tens = TENS[token]
        unit = _CARDINAL_OF_WORD.get(nxt)
        if unit is None and nxt.isdigit() and len(nxt) == 1:
            unit = int(nxt)
        if unit is not None and 0 < unit < 10:
            return cardinal_word(tens + unit), 2
        ordinal = _ORDINAL_OF_WORD.get(nxt)
        if ordinal is not None and 0 < ordinal < 10:
            return ordinal_word(tens + ordinal), 2
        return cardinal_word(tens), 1
    if token in _CARDINAL_OF_WORD or token in _ORDINAL_OF_WORD or token in ORDINAL_TENS:
        return token, 1
    return None


def spell_numbers(tokens: Sequence[str]) -> list[str]:
    """Lower-case name words with every number 0-99 (digits, words, ``forty four``,
    ``forty-4``) and ordinal (``1st``, ``first``, ``twenty first``) as one word."""
    if not any(t[:1].isdigit() or t in TENS for t in tokens):
        return list(tokens)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        found = _number_at(tokens, i)
        if found is None:
            out.append(tokens[i])
            i += 1
        else:
            word, used = found
            out.append(word)
            i += used
    return out


__all__ = ["cardinal_word", "ordinal_word", "spell_numbers"]
