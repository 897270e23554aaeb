"""Names written as two names joined by a slash: `Al-Qa'ida/Islamic Army`.

Why: sanctions lists write an organisation and its other name in one field, separated by a
slash (`AL-QA'IDA/ISLAMIC ARMY`, `... FACTION/...`); a trade record or another list gives one
of them. Read as one name, `Al Qaeda` shares half its words with it and scores far below the
threshold. A comparison of two given names (``dualuse compare``) scores each part on its own
and keeps the best, saying which part it read.

Only a slash between two words counts, and only when each side holds a word of at least
MIN_PART_WORD_LEN letters: `A/S` (the Danish legal form) or `1/2` are not two names, and a
name with `c/o` (care of) names two parties, never two names of one.
"""

from __future__ import annotations

import re

MIN_PART_WORD_LEN = 3
_SLASH = re.compile(r"(?<=\w)[\W_]{0,2}/[\W_]{0,2}(?=\w)")
_CARE_OF = re.compile(r"\bc\s*/\s*o\b", re.I)
_WORD = re.compile(rf"[^\W\d_]{{{MIN_PART_WORD_LEN},}}")


def slash_parts(name: str | None) -> list[str]:
    """The names a slashed name gives, or [] when it is one name."""
    if not name or "/" not in name or _CARE_OF.search(name):
        return []
    parts = [p.strip(" ,;-") for p in _SLASH.split(name)]
    if len(parts) < 2 or not all(_WORD.search(p) for p in parts):
        return []
    return parts


def slash_rows(names_a: list[str], names_b: list[str]) -> list[tuple[int, str, str, str]]:
    """(row, first name, second name, the part read) for each part of a slashed name."""
    rows = []
    for i, (a, b) in enumerate(zip(names_a, names_b, strict=True)):
        rows += [(i, part, b, part) for part in slash_parts(a)]
        rows += [(i, a, part, part) for part in slash_parts(b)]
    return rows


__all__ = ["slash_parts", "slash_rows"]
