"""Names that agree letter for letter once spaces are set aside (NET WORKS / NETWORKS).

Why: clerks and data vendors join and split words freely (OPERA DORA for OPERADORA, TOSEE for
TOSE-E, HIZB ALLAH for HIZBALLAH, M ANDS for M AND S). Word overlap sees different words, so
such a name may share no rare word with its list entry and never become a candidate. Read
without spaces, hyphens and punctuation, the two names are the same letters: that is a
candidate, and a match whose words agree in full once re-spaced. The words compared are the
name's core as written (legal forms set aside), not its folded comparison keys, since folding
works word by word and would part the two spellings again (NETWORKS folds to NETVORK, NET WORKS
to NET WORKS).
"""

from __future__ import annotations

import functools
import weakref
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from screening.names.index import NameIndex
from screening.names.normalise import NormalisedName

MIN_RESPACED_LEN = 7
"""Shorter cores (A B C / ABC) are initials, read as they are: too many names agree so."""

_CACHE: dict[int, tuple[weakref.ref, np.ndarray, dict[str, list[int]]]] = {}


def despaced(name: NormalisedName) -> str:
    """The name's core words as written, lowercase, with every space, hyphen and mark
    dropped; empty when shorter than MIN_RESPACED_LEN."""
    return _despaced(name.tokens, name.written)


@functools.lru_cache(maxsize=1 << 16)
def _despaced(tokens: tuple[str, ...], written: tuple[tuple[str, str], ...]) -> str:
    """despaced, worked out once per name: each batch asks it of every reading twice
    (candidates, pairs) and the features again for the pairs near the threshold."""
    as_written = dict(written)
    parts = []
    for token in tokens:
        word = as_written.get(token, token).lower()
        parts.append(word if word.isalnum() else "".join(c for c in word if c.isalnum()))
    letters = "".join(parts)
    return letters if len(letters) >= MIN_RESPACED_LEN else ""


def _query_letters(query: NormalisedName) -> str:
    """A trade name's despaced core, only as written: a reading with a slip repaired is a
    guess already (its corroboration rules apply), not re-read a second time."""
    return "" if query.recut else despaced(query)


def _index_letters(index: NameIndex) -> tuple[np.ndarray, dict[str, list[int]]]:
    """Per key its despaced core, and the keys by despaced core (built once per index)."""
    cached = _CACHE.get(id(index))
    if cached is not None and cached[0]() is index:
        return cached[1], cached[2]
    letters = np.array([despaced(k) for k in index.keys], dtype=object)
    by_letters: dict[str, list[int]] = defaultdict(list)
    for key_id, text in enumerate(letters.tolist()):
        if text:
            by_letters[text].append(key_id)
    _CACHE[id(index)] = (weakref.ref(index), letters, dict(by_letters))
    return letters, dict(by_letters)


def respaced_candidates(
    queries: Sequence[NormalisedName], index: NameIndex
) -> tuple[np.ndarray, np.ndarray]:
    """(query row, key id) pairs of names with the same letters and other spacing."""
    _, by_letters = _index_letters(index)
    q_rows: list[int] = []
    k_ids: list[int] = []
    for qi, query in enumerate(queries):
        text = _query_letters(query)
        for key_id in by_letters.get(text, ()) if text else ():
            if index.keys[key_id].tokens != query.tokens:
                q_rows.append(qi)
                k_ids.append(key_id)
    return np.array(q_rows, dtype=np.int64), np.array(k_ids, dtype=np.int64)


def respaced_pairs(
    queries: Sequence[NormalisedName], index: NameIndex, q_rows: np.ndarray, k_ids: np.ndarray
) -> np.ndarray:
    """Per pair: the two names are the same letters (and not the same words)."""
    if len(q_rows) == 0:
        return np.zeros(0, dtype=bool)
    letters, _ = _index_letters(index)
    ours = np.array([_query_letters(q) for q in queries], dtype=object)[q_rows]
    same = (ours == letters[k_ids]) & (ours != "")
    for n in np.flatnonzero(same).tolist():  # (few) the same words are no re-spacing
        same[n] = index.keys[int(k_ids[n])].tokens != queries[int(q_rows[n])].tokens
    return same


def is_respaced(query: NormalisedName, key: NormalisedName) -> bool:
    """The pair's names are the same letters with spaces moved (for one pair)."""
    text = _query_letters(query)
    return bool(text) and text == despaced(key) and query.tokens != key.tokens


__all__ = ["despaced", "is_respaced", "respaced_candidates", "respaced_pairs"]
