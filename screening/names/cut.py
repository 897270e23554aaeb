"""Trade names cut short by a data vendor's field width, compared with the start of list names.

Why: customs systems and data vendors cut party names at a fixed width (35 characters is
common), so ``LIMITED LIABILITY COMPANY ZHEMCHUZH`` is all that is left of a listed
``... ZHEMCHUZHINA ARKTIKI``: whole-name scores see two different names, a careful analyst sees
the same one cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from screening.names import normalise
from screening.names.index import PER_KEY_TABLES_MIN_QUERIES, NameIndex
from screening.names.normalise import TRUNCATION_MIN_LEN, NormalisedName, fold_token

TRUNCATION_MIN_CORE = 6
TRUNCATION_PENALTY = 1.0
"""A cut name matched on the start of a list name: a little less certain than a whole one."""
WORD_BOUNDARY_CUT_PENALTY = 5.0
"""A name that stops at a word boundary may be whole, and the start of many longer names."""
CUT_SINGLE_WORD_MIN = 6
"""A one-word cut name (ZHEMCHUZH...) must keep at least this many letters."""
CUT_WORD_AGREEMENT = 0.8
"""Each word before the cut must be the list word, or it with a typo."""


def rows_possibly_cut(queries: Sequence[NormalisedName]) -> list[int]:
    """Rows of the names long enough to have been cut by a vendor's field width."""
    return [qi for qi, q in enumerate(queries) if possibly_cut(q)]


def possibly_cut(query: NormalisedName) -> bool:
    """Long enough to have been cut by a vendor's field width, and not ending in a whole legal
    form (ELECTRONIC COMPONENTS LTD is whole)."""
    return (
        query.written_length >= TRUNCATION_MIN_LEN
        and len(query.key) >= TRUNCATION_MIN_CORE
        and not query.ends_with_legal_form
    )


def maybe_truncated(
    queries: Sequence[NormalisedName], index: NameIndex, q_rows: np.ndarray, k_ids: np.ndarray
) -> np.ndarray:
    """Pairs where the trade name may be the list name cut short: long enough to have been
    cut, and shorter than the list name; with the speed shortcuts on, also no pair
    truncated_scores provably scores 0 (first_words_may_agree)."""
    long_query = np.array([possibly_cut(q) for q in queries], dtype=bool)
    if not long_query.any() or len(q_rows) == 0:
        return np.zeros(len(q_rows), dtype=bool)
    query_len = np.array([len(q.key) for q in queries])
    maybe = long_query[q_rows]
    rows = np.flatnonzero(maybe)  # (the pairs of long names only)
    # the lengths of the candidate keys only: a lookup of one name reads a handful of keys
    if normalise.SHORTCUTS and len(queries) >= PER_KEY_TABLES_MIN_QUERIES:
        key_lengths = _per_key(index, "_cut_key_lengths", _key_lengths)
        maybe[rows] = key_lengths[k_ids[rows]] > query_len[q_rows[rows]]
    else:
        candidates, pair_key = np.unique(k_ids[rows], return_inverse=True)
        key_len = np.array([len(index.keys[k].key) for k in candidates.tolist()], dtype=np.int64)
        maybe[rows] = key_len[pair_key] > query_len[q_rows[rows]]
    if normalise.SHORTCUTS and maybe.any():
        rows = np.flatnonzero(maybe)
        maybe[rows] = first_words_may_agree(queries, index, q_rows[rows], k_ids[rows])
    return maybe


def first_words_may_agree(
    queries: Sequence[NormalisedName], index: NameIndex, q_rows: np.ndarray, k_ids: np.ndarray
) -> np.ndarray:
    """Per pair: may truncated_scores give it more than 0? A cut name of two or more words
    scores only where its first word agrees with the list name's first word (similarity at
    least CUT_WORD_AGREEMENT) and the list name has as many words, for some reading of each
    side (as translated, as written); a one-word cut name is always checked in full. Most
    long trade names share a rare word with many longer list names but begin differently:
    they are ruled out here, vectorised, rather than word by word in Python."""
    n = len(q_rows)
    if n == 0:
        return np.zeros(0, dtype=bool)
    q_ids, q_pair = np.unique(q_rows, return_inverse=True)
    q_first, q_len = _first_words([queries[q] for q in q_ids.tolist()])
    if len(queries) >= PER_KEY_TABLES_MIN_QUERIES:
        k_first, k_len = _per_key(index, "_cut_key_first_words", _all_first_words)
        k_pair = k_ids
    else:
        k_uniq, k_pair = np.unique(k_ids, return_inverse=True)
        k_first, k_len = _first_words([index.keys[k] for k in k_uniq.tolist()])
    maybe = np.zeros(n, dtype=bool)
    for a in range(2):
        ours, ours_len = q_first[a][q_pair], q_len[a][q_pair]
        maybe |= ours_len == 1  # (one word: the prefix rules are checked in full)
        for b in range(2):
            theirs_len = k_len[b][k_pair]
            open_ = ~maybe & (ours_len >= 2) & (ours_len <= theirs_len)
            if not open_.any():
                continue
            rows = np.flatnonzero(open_)
            agreement = process.cpdist(
                ours[rows].tolist(),
                k_first[b][k_pair[rows]].tolist(),
                scorer=OSA.normalized_similarity,
                dtype=np.float64,
                workers=1,
            )
            maybe[rows] = agreement >= CUT_WORD_AGREEMENT - 1e-9
    return maybe


_T = TypeVar("_T")


def _per_key(index: NameIndex, memo: str, build: Callable[[NameIndex], _T]) -> _T:
    """``build(index)``, kept on the index (one of NameIndex._MEMOS: never pickled)."""
    found = index.__dict__.get(memo)
    if found is None:
        found = index.__dict__[memo] = build(index)
    return found


def _key_lengths(index: NameIndex) -> np.ndarray:
    return np.array([len(key.key) for key in index.keys], dtype=np.int64)


def _all_first_words(index: NameIndex) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return _first_words(index.keys)


def _first_words(names: Sequence[NormalisedName]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per name, the first word and the number of words of its two readings: the tokens, and
    the words as written where a translation changed them (else the tokens again)."""
    firsts: list[list[str]] = [[], []]
    lengths: list[list[int]] = [[], []]
    for name in names:
        for reading, tokens in enumerate((name.tokens, name.as_written_core or name.tokens)):
            firsts[reading].append(tokens[0] if tokens else "")
            lengths[reading].append(len(tokens))
    return (
        [np.array(f, dtype=object) for f in firsts],
        [np.array(n, dtype=np.int64) for n in lengths],
    )


def truncated_scores(
    queries: Sequence[NormalisedName], index: NameIndex, q_rows: np.ndarray, k_ids: np.ndarray
) -> np.ndarray:
    """100 less a little where the trade name is the list name cut short: every word but the
    last equal and in order, the last one the start of the list name's word; else 0."""
    # the words as translated, and as written where a translation changed them
    readings_of: dict[int, tuple[set[tuple[str, ...]], bool]] = {}
    scores = []
    for q, k in zip(q_rows.tolist(), k_ids.tolist(), strict=True):
        if (ours := readings_of.get(q)) is None:
            query = queries[q]
            ours = readings_of[q] = (
                {query.tokens, query.as_written_core} - {()},
                query.written_length in VENDOR_WIDTHS,
            )
        key = index.keys[k]
        scores.append(
            max(
                cut_version_score(
                    mine, theirs, at_vendor_width=ours[1], listed_written=key.as_written
                )
                for mine in ours[0]
                for theirs in {key.tokens, key.as_written_core} - {()}
            )
        )
    return np.array(scores)


VENDOR_WIDTHS = frozenset({30, 35, 40, 50})
"""Field widths data vendors cut names at: a name exactly this long was most likely cut, even
where the cut fell between two words (LIMITED LIABILITY COMPANY ISKUSSTVO [KRASOTY])."""


def cut_version_score(
    query: tuple[str, ...],
    listed: tuple[str, ...],
    *,
    at_vendor_width: bool = False,
    listed_written: Callable[[str], str] | None = None,
) -> float:
    """How well a cut trade name matches the start of a list name (0 when it does not):
    AO SARATOVSKII RADIOPRIBORN is AO SARATOVSKII RADIOPRIBORNYI ZAVOD cut. The words before
    the last must agree in order (spelling aside), the last must begin the list word."""
    n = len(query)
    if not 1 <= n <= len(listed) or query == listed:
        return 0.0
    last, listed_word = fold_token(query[-1], force=True), listed[n - 1]
    written = listed_written(listed_word) if listed_written else listed_word
    if not any(w.startswith(p) for w in (listed_word, written) for p in (last, query[-1])):
        return 0.0  # (GARDA TEC: the start of TECHNOLOGIES as written, not of its key TEHN...)
    if n == 1 and (
        len(last) < CUT_SINGLE_WORD_MIN or (last == listed_word and not at_vendor_width)
    ):
        return 0.0  # one whole word is no evidence of a cut, unless cut at a vendor's width
    word_agreement = [
        OSA.normalized_similarity(ours, theirs)
        for ours, theirs in zip(query[:-1], listed[: n - 1], strict=True)
    ] or [1.0]
    if min(word_agreement) < CUT_WORD_AGREEMENT:
        return 0.0
    at_word_boundary = listed_word in (last, query[-1])
    if n == 1:
        return 100.0 - TRUNCATION_PENALTY - (WORD_BOUNDARY_CUT_PENALTY if at_word_boundary else 0)
    return (
        100.0
        - TRUNCATION_PENALTY
        - (WORD_BOUNDARY_CUT_PENALTY if at_word_boundary else 0.0)
        - 10.0 * (n - 1 - sum(word_agreement))
    )
