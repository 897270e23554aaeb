"""Names that agree letter for letter once spaces are set aside (NET WORKS / NETWORKS).

Why: clerks and data vendors join and split words freely (OPERA DORA for OPERADORA, TOSEE for
TOSE-E, HIZB ALLAH for HIZBALLAH, M ANDS for M AND S). Word overlap sees different words, so
such a name may share no rare word with its list entry and never become a candidate. Read
without spaces, hyphens and punctuation, the two names are the same letters: that is a
candidate, and a match whose words agree in full once re-spaced. The words compared are the
name's core as written (legal forms set aside), not its folded comparison keys, since folding
works word by word and would part the two spellings again (NETWORKS folds to NETVORK, NET WORKS
to NET WORKS). The index keeps its keys by their letters (``NameIndex.respaced_keys``), so a
lookup reads no key it does not need.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from screening.names import normalise
from screening.names.normalise import NormalisedName
from screening.names.pair_sets import pairs_among

if TYPE_CHECKING:
    from screening.names.index import NameIndex

MIN_RESPACED_LEN = 7
"""Shorter cores (A B C / ABC) are initials, read as they are: too many names agree so."""


def despaced(name: NormalisedName) -> str:
    """The name's core words as written, lowercase, with every space, hyphen and mark
    dropped; empty when shorter than MIN_RESPACED_LEN. Worked out once per name and kept on
    it: each batch asks it of every reading twice (candidates, pairs) and the features again
    for the pairs near the threshold (a look-up by the name's words would hash them all on
    every call)."""
    if not normalise.SHORTCUTS:
        return _despaced(name.tokens, name.written)
    found = name.__dict__.get("_despaced")
    if found is None:
        found = name.__dict__["_despaced"] = _despaced(name.tokens, name.written)
    return found


def _despaced(tokens: tuple[str, ...], written: tuple[tuple[str, str], ...]) -> str:
    as_written = dict(written)
    parts = []
    for token in tokens:
        word = as_written.get(token, token).lower()
        parts.append(word if word.isalnum() else "".join(c for c in word if c.isalnum()))
    letters = "".join(parts)
    return letters if len(letters) >= MIN_RESPACED_LEN else ""


def keys_by_letters(keys: Sequence[NormalisedName]) -> dict[str, list[int]]:
    """The key ids by their despaced core (for NameIndex.respaced_keys)."""
    by_letters: dict[str, list[int]] = defaultdict(list)
    for key_id, key in enumerate(keys):
        if text := despaced(key):
            by_letters[text].append(key_id)
    return dict(by_letters)


def _query_letters(query: NormalisedName) -> str:
    """A trade name's despaced core, only as written: a reading with a slip repaired is a
    guess already (its corroboration rules apply), not re-read a second time."""
    return "" if query.recut else despaced(query)


def respaced_candidates(
    queries: Sequence[NormalisedName], index: NameIndex
) -> tuple[np.ndarray, np.ndarray]:
    """(query row, key id) pairs of names with the same letters and other spacing."""
    q_rows: list[int] = []
    k_ids: list[int] = []
    by_letters = index.respaced_keys
    for qi, query in enumerate(queries):
        text = _query_letters(query)
        for key_id in by_letters.get(text, ()) if text else ():
            if index.keys[key_id].tokens != query.tokens:
                q_rows.append(qi)
                k_ids.append(key_id)
    return np.array(q_rows, dtype=np.int64), np.array(k_ids, dtype=np.int64)


def respaced_pairs(
    queries: Sequence[NormalisedName],
    index: NameIndex,
    q_rows: np.ndarray,
    k_ids: np.ndarray,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Per pair: the two names are the same letters (and not the same words).
    ``candidates``: respaced_candidates(queries, index), when the caller has them."""
    if len(q_rows) == 0:
        return np.zeros(0, dtype=bool)
    rows, keys = candidates if candidates is not None else respaced_candidates(queries, index)
    if len(rows) == 0:
        return np.zeros(len(q_rows), dtype=bool)
    return pairs_among(q_rows, k_ids, rows, keys, len(index.keys))


def is_respaced(query: NormalisedName, key: NormalisedName) -> bool:
    """The pair's names are the same letters with spaces moved (for one pair)."""
    text = _query_letters(query)
    return bool(text) and text == despaced(key) and query.tokens != key.tokens


__all__ = ["despaced", "is_respaced", "keys_by_letters", "respaced_candidates", "respaced_pairs"]
