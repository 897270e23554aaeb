"""The ways a trade name is read before it is scored: as written, with typing slips repaired,
and as cut short."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from screening.names.cut import TRUNCATION_MIN_LEN, possibly_cut
from screening.names.index import NameIndex, parenthetical_alternatives
from screening.names.normalise import NormalisedName, normalise_name, normalise_names
from screening.names.repair import repaired_reading
from screening.names.segments import segment_alternatives


@dataclass(frozen=True)
class Readings:
    """Every query as written, plus where they differ: its parenthetical parts read as other
    names (the name without them, an acronym, the original-script name), a reading with typing
    slips repaired from
    the lists' words (EXODUSM ICROELECTRONICS -> EXODUS MICROELECTRONICS) and, for a long name,
    a reading as cut short with its last word a fragment (... SCIENTIFIC INST[RUMENTS]). Each
    pair is scored on every reading and keeps the best score, so a repair that makes things
    worse (NUCEAR -> NU CEAR) costs nothing."""

    names: list[NormalisedName]
    origin: np.ndarray
    """per reading, the row of the query it reads"""


def read_queries(names: Sequence[str], index: NameIndex) -> Readings:
    """Each name as written, then the repaired and as-cut readings that differ from it."""
    plain = normalise_names(list(names))
    readings = list(plain)
    origin = list(range(len(plain)))
    for i, name in enumerate(plain):
        for alternative in parenthetical_alternatives(name.original):
            reading = normalise_name(alternative)
            if reading.tokens and reading.tokens != name.tokens:
                readings.append(reading)
                origin.append(i)
        # a quoted proper name, a subsidiary after its parent, the name without "named after"
        for alternative in segment_alternatives(name.original, name.removed):
            reading = _alternative_reading(alternative, name)
            if reading.tokens and reading.tokens != name.tokens:
                readings.append(reading)
                origin.append(i)
    for i, name in enumerate(plain):
        reading = repaired_reading(name, index.known_words)
        if reading is not None and reading.tokens != name.tokens:
            readings.append(reading)
            origin.append(i)
    for i, name in enumerate(plain):
        if name.written_length >= TRUNCATION_MIN_LEN and not name.ends_with_legal_form:
            as_cut = normalise_name(name.original, words=name.words, literal_end=True)
            if as_cut.tokens != name.tokens and possibly_cut(as_cut):
                readings.append(as_cut)
                origin.append(i)
    return Readings(names=readings, origin=np.array(origin, dtype=np.int64))


def _alternative_reading(alternative: str, name: NormalisedName) -> NormalisedName:
    """A part of the name read as another name of the party. A part that ends at a comma of
    the name as written (a parent company before its subsidiary: "ACADEMY OF MILITARY MEDICAL
    SCIENCES, INSTITUTE OF ...") is whole: no vendor's field width cut it, so it is not
    compared with the start of longer list names (another institute of the same academy). A
    part that opens a quotation it does not close was split inside the quoted name, so it
    stays a possible start of the name."""
    reading = normalise_name(alternative)
    written = name.original.strip()
    if _quote_left_open(alternative):
        return reading
    if written.upper().startswith(alternative.strip().upper()):
        rest = written[len(alternative.strip()) :].lstrip()
        if rest[:1] in {",", ";"}:
            return replace(reading, written_length=0)
    return reading


_QUOTE_MARK = re.compile(r"""(?<!\w)["«»“”‘’„‚]|["«»“”‘’„‚](?!\w)""")
"""a quotation mark, not an apostrophe inside a word (O’NEIL)"""


def _quote_left_open(text: str) -> bool:
    """The text opens a quotation it does not close: an odd number of quotation marks."""
    return len(_QUOTE_MARK.findall(text)) % 2 == 1


def _has_distinctive(name: NormalisedName) -> bool:
    """A parenthetical part that is only generic words ("(Russia)", "(branch)") names nothing."""
    return bool(set(name.tokens) - name.generic_tokens)


def best_reading(
    reading_rows: np.ndarray, k_ids: np.ndarray, scores: np.ndarray, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(query row, key id, score, reading row): per query and key, the best-scoring reading
    (the name as written wins ties)."""
    q_rows = origin[reading_rows]
    order = np.lexsort((reading_rows, -scores, k_ids, q_rows))
    q_sorted, k_sorted = q_rows[order], k_ids[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (q_sorted[1:] != q_sorted[:-1]) | (k_sorted[1:] != k_sorted[:-1])
    keep = order[first]
    return q_rows[keep], k_ids[keep], scores[keep], reading_rows[keep]
