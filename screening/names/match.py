"""Score trade party names against list names and explain every hit.

Score (0-100) = 100 x (0.7 x weighted token Dice + 0.3 x token-sort string similarity), where
token weights are IDF over the list names (generic words and legal forms weigh little) and a
typo'd token counts by its spelling similarity. An identifier shared by query and listed entry
(an INN glued to a customs name, say) makes the score 100. DEFAULT_THRESHOLD is the flagging
cut-off used everywhere unless a run configures another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process
from scipy import sparse

from screening import progress
from screening.names.commonness import word_zipf
from screening.names.cut import (
    cut_version_score,
    maybe_truncated,
    possibly_cut,
    rows_possibly_cut,
    truncated_scores,
)
from screening.names.index import (
    FuzzyMap,
    NameIndex,
    describe_weight,
    index_key,
    one_slip_apart,
    token_idf,
)
from screening.names.normalise import (
    NormalisedName,
    normalise_names,
)
from screening.names.readings import best_reading, read_queries
from screening.schema import NAME_MATCH_SCHEMA, empty_table

DEFAULT_THRESHOLD = 88.0
WEAK_ALIAS_PENALTY = 15.0
"""OFAC: weak a.k.a.s are broad and not expected to produce a hit on their own."""
RECUT_PENALTY = 1.0
"""A name read with its spaces moved (TRANSLOGISTIK as TRANS LOGISTIK) is a guess."""
SINGLE_WORD_SPELLING_PENALTY = 6.0
"""A one-word name spelt differently (KINET / KINEF) is thin evidence."""
ONE_SLIP_SPELLING_PENALTY = 1.0
"""One slip (a letter left out, doubled, swapped or mistyped) in a long word (VETRIKAL /
VERTIKAL, ONRBANK / ONERBANK) is how customs clerks misspell names: less doubt."""
COUNTRY_AGREEMENT_BONUS = 3.0
COUNTRY_CONFLICT_PENALTY = 5.0
"""The trade party's country (origin for exporters, destination for importers) against the
countries of the listed entry: agreement is mild support, conflict mild doubt."""
COMMON_WORD_ZIPF = 3.5
"""A word at least this frequent in ordinary language (Zipf scale) is a dictionary word."""
VERY_COMMON_WORD_ZIPF = 4.0
ONE_COMMON_WORD_PENALTY = 11.0
"""ATLAS, RASSVET ("dawn"), TERMINAL: a one-word name that is a dictionary word names many
unrelated firms; alone it should not raise a flag."""
TWO_COMMON_WORDS_PENALTY = 8.0
"""ALI SALIM: a person named by two common words (given names) is thin evidence."""
LEGAL_FORM_CONFLICT_PENALTY = 4.0
SINGLE_WORD_LEGAL_FORM_CONFLICT_PENALTY = 10.0
"""CITY LLC vs CITY PJSC: with one word in common, differing legal forms say a lot."""
TOKEN_WEIGHT_SHARE = 0.7
MAX_CANDIDATES_PER_NAME = 100
BATCH_SIZE = 20000


def _explain(
    query: NormalisedName,
    key_id: int,
    index: NameIndex,
    fuzzy: FuzzyMap,
    id_match: str | None,
    query_country: str | None = None,
) -> str:
    key = index.keys[key_id]
    key_tokens = set(key.tokens)
    cut = possibly_cut(query) and cut_version_score(query.tokens, key.tokens) > 0
    cut_word = key.tokens[len(query.tokens) - 1] if cut else None
    parts = []
    matched, missing = [], []
    for t in dict.fromkeys(query.tokens):
        kind = describe_weight(token_idf(index, t if t in index.vocab else ""))
        if t in key_tokens:
            matched.append(f"{t} ({kind})")
        elif alt := next((a for a in fuzzy.get(t, []) if a[0] in key_tokens), None):
            matched.append(f"{t}~{alt[0]} (spelling {alt[1]:.2f})")
        elif cut_word and t == query.tokens[-1]:
            matched.append(f"{t}... (start of {cut_word})")
        else:
            missing.append(t)
    q_set = set(query.tokens) | {a for t in query.tokens for a, _ in fuzzy.get(t, [])}
    q_set |= {cut_word} if cut_word else set()
    extra = [t for t in key.tokens if t not in q_set]
    parts.append("matched words: " + (", ".join(matched) or "none"))
    if missing:
        parts.append("only in trade name: " + ", ".join(missing))
    if extra:
        parts.append("only in list name: " + ", ".join(extra))
    if query.removed or key.removed:
        parts.append(
            "legal forms set aside: "
            + (", ".join(query.legal_forms) or "-")
            + " vs "
            + (", ".join(key.legal_forms) or "-")
        )
    if query.recut:
        parts.append("read as typed slips: " + ", ".join(query.recut) + " (score lowered)")
    if legal_forms_conflict(query, key):
        parts.append("legal forms differ (score lowered)")
    if cut:
        parts.append(
            f"trade name may be cut at {query.written_length} characters: "
            "compared with the start of the list name"
        )
    if common_words_penalty(index, key_id):
        parts.append("list name is only ordinary dictionary words (score lowered)")
    if _one_distinctive_word(query) or _one_distinctive_word(key):
        parts.append(
            "one distinctive word"
            + (
                " spelt differently (score lowered)"
                if _spelt_differently(query, key, cut=cut)
                else ""
            )
        )
    if index.key_is_weak[key_id]:
        parts.append("list name is a weak alias (score lowered)")
    key_countries = index.key_countries[key_id]
    relation = country_relation(query_country, key_countries)
    if relation is not None:
        listed = ", ".join(sorted(key_countries))
        parts.append(
            f"country {query_country} vs listed {listed}: "
            + ("agree (score raised)" if relation == "agree" else "differ (score lowered)")
        )
    if id_match:
        parts.append(id_match)
    return "; ".join(parts)


IdentifierHits = dict[int, dict[int, str]]
"""query row -> key id -> explanation of the shared identifier"""


@dataclass(frozen=True)
class ScoredPairs:
    """(query row, key id, score) triples at or above the threshold, plus what explains them."""

    query_rows: np.ndarray
    key_ids: np.ndarray
    scores: np.ndarray
    fuzzy_tokens: FuzzyMap
    identifier_hits: IdentifierHits


@dataclass(frozen=True)
class Comparison:
    """Score of one pair of names and why."""

    score: float
    explanation: str


def _identifier_hits(queries: Sequence[NormalisedName], index: NameIndex) -> IdentifierHits:
    hits: IdentifierHits = {}
    for qi, q in enumerate(queries):
        for scheme, value in q.identifiers:
            for key_id in index.identifier_keys.get((scheme, value), []):
                hits.setdefault(qi, {})[key_id] = (
                    f"{scheme} {value} in trade name equals the list's {scheme}"
                )
    return hits


NEUTRAL_LEGAL_FORMS = frozenset({"co"})
"""Set aside like a legal form but saying nothing about it ("company")."""


def legal_forms_conflict(query: NormalisedName, key: NormalisedName) -> bool:
    """Both names state a legal form and none of them agree (LLC vs JSC)."""
    ours = set(query.legal_forms) - NEUTRAL_LEGAL_FORMS
    theirs = set(key.legal_forms) - NEUTRAL_LEGAL_FORMS
    return bool(ours and theirs) and not ours & theirs


def _distinctive(name: NormalisedName) -> frozenset[str]:
    """The words that identify a name: generic words set aside."""
    return frozenset(name.tokens) - name.generic_tokens


def _spelt_differently(query: NormalisedName, key: NormalisedName, *, cut: bool) -> bool:
    """The names' distinctive words differ; for a cut name of several words matched on the
    start of the list name, the words before the cut were already found to agree."""
    if cut and len(query.tokens) > 1:
        return False
    return _distinctive(query) != _distinctive(key)


def _one_slip(query: NormalisedName, key: NormalisedName) -> bool:
    """Each name has one distinctive word, long, and they differ by one edit."""
    ours, theirs = _distinctive(query), _distinctive(key)
    if len(ours) != 1 or len(theirs) != 1:
        return False
    (a,), (b,) = ours, theirs
    return one_slip_apart(a, b)


def _one_distinctive_word(name: NormalisedName) -> bool:
    return len(_distinctive(name)) <= 1


def common_words_penalty(index: NameIndex, key_id: int) -> float:
    """Points off for a listed name whose distinctive words (generic words set aside) are one
    dictionary word (GREEN INDUSTRIES, FORTUNE INTERNATIONAL TRADING), or for a person, two
    common words (ALI SALIM)."""
    words = _distinctive(index.keys[key_id])
    if not words:  # generic words only (WORLD EQUIPMENT TRADING)
        return ONE_COMMON_WORD_PENALTY
    limit = 2 if index.key_is_person[key_id] else 1
    if len(words) > limit or not all(word_zipf(w) >= COMMON_WORD_ZIPF for w in words):
        return 0.0
    if len(words) == 2:
        return TWO_COMMON_WORDS_PENALTY
    # very common words (CITY, GREEN, TERMINAL) weigh less than famous names (HUAWEI)
    return (
        ONE_COMMON_WORD_PENALTY
        if word_zipf(min(words)) >= VERY_COMMON_WORD_ZIPF
        else (ONE_COMMON_WORD_PENALTY / 2)
    )


def country_relation(query_country: str | None, key_countries: frozenset[str]) -> str | None:
    """'agree', 'differ', or None when either side has no country."""
    if not query_country or not key_countries:
        return None
    return "agree" if query_country in key_countries else "differ"


def _penalties(
    queries: Sequence[NormalisedName],
    index: NameIndex,
    q_rows: np.ndarray,
    k_ids: np.ndarray,
    query_countries: Sequence[str | None] | None,
    cut: np.ndarray,
) -> np.ndarray:
    """Points taken off (negative: added) for qualifying evidence: weak aliases, one-word
    names, re-spaced words, legal forms, countries. ``cut``: per pair, scored as a cut name."""
    penalty = np.where(index.key_is_weak[k_ids], WEAK_ALIAS_PENALTY, 0.0)
    for n, (qi, k) in enumerate(zip(q_rows.tolist(), k_ids.tolist(), strict=True)):
        query, key = queries[qi], index.keys[k]
        if query_countries is not None:
            relation = country_relation(query_countries[qi], index.key_countries[k])
            if relation == "agree":
                penalty[n] -= COUNTRY_AGREEMENT_BONUS
            elif relation == "differ":
                penalty[n] += COUNTRY_CONFLICT_PENALTY
        single = _one_distinctive_word(query) or _one_distinctive_word(key)
        if single and _spelt_differently(query, key, cut=bool(cut[n])):
            penalty[n] += (
                ONE_SLIP_SPELLING_PENALTY if _one_slip(query, key) else SINGLE_WORD_SPELLING_PENALTY
            )
        if query.recut:
            penalty[n] += RECUT_PENALTY
        penalty[n] += common_words_penalty(index, k)
        if legal_forms_conflict(query, key):
            penalty[n] += (
                SINGLE_WORD_LEGAL_FORM_CONFLICT_PENALTY if single else LEGAL_FORM_CONFLICT_PENALTY
            )
    return penalty


def score_pairs(
    queries: Sequence[NormalisedName],
    index: NameIndex,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    workers: int = -1,
    query_countries: Sequence[str | None] | None = None,
) -> ScoredPairs:
    """Generate candidates for the queries and keep the pairs scoring >= ``threshold``."""
    mapping = index.map_tokens(queries, workers=workers)
    blocking, weighted, total = index.query_matrices(queries, mapping)
    q_rows, k_ids = index.candidates(blocking, max_candidates=MAX_CANDIDATES_PER_NAME)
    cut_rows, cut_keys = index.prefix_candidates(queries, rows_possibly_cut(queries))
    same_rows, same_keys = index.exact_candidates(queries)
    id_hits = _identifier_hits(queries, index)
    id_rows = np.array([qi for qi, ks in id_hits.items() for _ in ks], dtype=np.int64)
    id_keys = np.array([k for ks in id_hits.values() for k in ks], dtype=np.int64)
    # a pair found twice is scored twice and kept once (best_reading): cheaper than deduping
    q_rows = np.concatenate([q_rows, cut_rows, same_rows, id_rows])
    k_ids = np.concatenate([k_ids, cut_keys, same_keys, id_keys])
    q_rows, k_ids, scores = _score_given_pairs(
        queries,
        index,
        q_rows,
        k_ids,
        weighted,
        total,
        id_hits,
        threshold=threshold,
        workers=workers,
        query_countries=query_countries,
    )
    scores = np.round(scores, 1)  # as reported: 87.99999 from float sums is 88.0
    keep = scores >= threshold
    return ScoredPairs(q_rows[keep], k_ids[keep], scores[keep], mapping.fuzzy_pairs, id_hits)


def _score_given_pairs(
    queries: Sequence[NormalisedName],
    index: NameIndex,
    q_rows: np.ndarray,
    k_ids: np.ndarray,
    weighted: sparse.csr_matrix,
    total: np.ndarray,
    id_hits: IdentifierHits,
    *,
    threshold: float,
    workers: int,
    query_countries: Sequence[str | None] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores of (query row, key id) pairs; pairs that cannot reach ``threshold`` are dropped."""
    if len(q_rows) == 0:
        return q_rows, k_ids, np.empty(0)
    id_pair = np.array(
        [int(k) in id_hits.get(int(qi), {}) for qi, k in zip(q_rows, k_ids, strict=True)]
        if id_hits
        else np.zeros(len(q_rows), dtype=bool),
        dtype=bool,
    )
    shared = np.asarray(weighted[q_rows].multiply(index.key_matrix[k_ids]).sum(axis=1)).ravel()
    dice = np.clip(2.0 * shared / (total[q_rows] + index.key_weight[k_ids]), 0.0, 1.0)
    # string similarity adds at most its share: pairs that cannot reach the threshold go now
    cut = maybe_truncated(queries, index, q_rows, k_ids)
    best_case = 100.0 * (TOKEN_WEIGHT_SHARE * dice + (1 - TOKEN_WEIGHT_SHARE))
    reachable = (best_case + COUNTRY_AGREEMENT_BONUS >= threshold) | id_pair | cut
    q_rows, k_ids, dice = q_rows[reachable], k_ids[reachable], dice[reachable]
    id_pair, cut = id_pair[reachable], cut[reachable]
    string_sim = (
        process.cpdist(
            [queries[i].key for i in q_rows],
            [index.keys[k].key for k in k_ids],
            scorer=fuzz.token_sort_ratio,
            workers=workers,
            dtype=np.float32,
        )
        / 100.0
    )
    scores = 100.0 * (TOKEN_WEIGHT_SHARE * dice + (1 - TOKEN_WEIGHT_SHARE) * string_sim)
    cut_won = np.zeros(len(scores), dtype=bool)
    if cut.any():
        rows = np.flatnonzero(cut)
        truncated = truncated_scores(queries, index, q_rows[rows], k_ids[rows])
        cut_won[rows] = truncated > scores[rows]
        scores[rows] = np.maximum(scores[rows], truncated)
    near = np.flatnonzero(scores + COUNTRY_AGREEMENT_BONUS >= threshold)
    scores[near] -= _penalties(
        queries, index, q_rows[near], k_ids[near], query_countries, cut_won[near]
    )
    scores = np.minimum(scores, 100.0)
    scores[id_pair] = 100.0
    return q_rows, k_ids, scores


def score_name_pairs(
    names_a: Sequence[str],
    names_b: Sequence[str],
    *,
    reference: NameIndex | None = None,
    workers: int = -1,
) -> list[Comparison]:
    """Score aligned pairs (names_a[i] vs names_b[i]) with the matcher's features.

    Word rarity is learnt from the second names, so a labelled pair file is scored as the
    screening would score its first column against a list made of its second column; with
    ``reference`` (the index of the screening lists) the lists' word rarity is used wherever
    they know the word.
    """
    if len(names_a) != len(names_b):
        raise ValueError("names_a and names_b must have the same length")
    corpus = sorted({n for n in names_b if n})
    index = NameIndex.build(
        pa.table(
            {
                "list_source": pa.array(["pairs"] * len(corpus)),
                "source_id": pa.array([str(i) for i in range(len(corpus))]),
                "entity_type": pa.nulls(len(corpus), pa.string()),
                "name": pa.array(corpus),
                "name_kind": pa.array(["primary"] * len(corpus)),
            }
        )
    )
    if reference is not None:
        index = index.with_word_rarity_of(reference)
    key_of = {index_key(key): k for k, key in enumerate(index.keys)}
    readings = read_queries([a or "" for a in names_a], index)
    queries = readings.names
    targets = normalise_names([b or "" for b in names_b], may_be_cut=False)
    target_keys = [key_of.get(index_key(t)) for t in targets]
    pairs = [
        (r, target_keys[origin])
        for r, (q, origin) in enumerate(zip(queries, readings.origin.tolist(), strict=True))
        if target_keys[origin] is not None and q.tokens
    ]
    r_rows = np.array([r for r, _ in pairs], dtype=np.int64)
    k_ids = np.array([k for _, k in pairs], dtype=np.int64)
    mapping = index.map_tokens(queries, workers=workers)
    _, weighted, total = index.query_matrices(queries, mapping)
    compared = set(r_rows.tolist())
    id_hits = {qi: hits for qi, hits in _identifier_hits(queries, index).items() if qi in compared}
    scored_r, scored_k, scores = _score_given_pairs(
        queries,
        index,
        r_rows,
        k_ids,
        weighted,
        total,
        id_hits,
        threshold=0.0,
        workers=workers,
        query_countries=None,
    )
    best_q, best_k, best_s, best_r = best_reading(scored_r, scored_k, scores, readings.origin)
    by_row = {
        int(q): (int(k), float(s), int(r))
        for q, k, s, r in zip(best_q, best_k, best_s, best_r, strict=True)
    }
    results = []
    for i, target in enumerate(targets):
        if i not in by_row:
            results.append(
                Comparison(0.0, f"nothing to compare: '{queries[i].key}' vs '{target.key}'")
            )
            continue
        key_id, score, reading = by_row[i]
        explanation = _explain(
            queries[reading],
            key_id,
            index,
            mapping.fuzzy_pairs,
            id_hits.get(reading, {}).get(key_id),
        )
        results.append(Comparison(round(score, 1), explanation))
    return results


def _distinct_queries(
    names: Iterable[str | None], countries: Iterable[str | None] | None
) -> list[tuple[str, str | None]]:
    names = list(names)
    pairs = (
        zip(names, countries, strict=True) if countries is not None else ((n, None) for n in names)
    )
    return sorted(
        {(n.strip(), c or None) for n, c in pairs if n and n.strip()},
        key=lambda p: (p[0], p[1] or ""),
    )


def match_names(
    names: Iterable[str | None],
    index: NameIndex,
    *,
    countries: Iterable[str | None] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    top: int = 3,
    workers: int = -1,
) -> pa.Table:
    """Match party names against the index: one row per (query, listed entry) hit, best first.

    Works over distinct non-empty names (with ``countries``, distinct (name, ISO-2 country)
    pairs: the party's own country qualifies the score). A name with no hit at or above
    ``threshold`` does not appear. ``top`` caps listed entries per query. Deterministic.
    """
    distinct = _distinct_queries(names, countries)
    use_countries = countries is not None
    unique = [n for n, _ in distinct]
    if not unique or not index.keys:
        return empty_table(NAME_MATCH_SCHEMA)
    table_sources = index.list_table["list_source"].to_pylist()
    table_ids = index.list_table["source_id"].to_pylist()
    table_names = index.list_table["name"].to_pylist()
    out: dict[str, list] = {f.name: [] for f in NAME_MATCH_SCHEMA}
    advance = progress.counter("Matching names", total=len(unique))
    for start in range(0, len(unique), BATCH_SIZE):
        batch = unique[start : start + BATCH_SIZE]
        advance(len(batch))
        batch_countries = [c for _, c in distinct[start : start + BATCH_SIZE]]
        readings = read_queries(batch, index)
        reading_countries = [batch_countries[i] for i in readings.origin.tolist()]
        scored = score_pairs(
            readings.names,
            index,
            threshold=threshold,
            workers=workers,
            query_countries=reading_countries if use_countries else None,
        )
        q_rows, k_ids, scores, r_rows = best_reading(
            scored.query_rows, scored.key_ids, scored.scores, readings.origin
        )
        fuzzy, id_hits = scored.fuzzy_tokens, scored.identifier_hits
        order = np.lexsort((k_ids, -scores, q_rows))
        per_query: dict[int, list[tuple[float, int, int]]] = {}
        for n in order:
            per_query.setdefault(int(q_rows[n]), []).append(
                (float(scores[n]), int(k_ids[n]), int(r_rows[n]))
            )
        for qi, hits in per_query.items():
            seen: set[tuple[str, str]] = set()
            rank = 0
            for score, key_id, reading in hits:
                explanation = _explain(
                    readings.names[reading],
                    key_id,
                    index,
                    fuzzy,
                    id_hits.get(reading, {}).get(key_id),
                    batch_countries[qi],
                )
                for row in index.key_rows[key_id].tolist():
                    entry = (table_sources[row], table_ids[row])
                    if entry in seen:
                        continue
                    seen.add(entry)
                    rank += 1
                    if rank > top:
                        break
                    out["query"].append(batch[qi])
                    out["rank"].append(rank)
                    out["score"].append(score)
                    out["list_source"].append(entry[0])
                    out["source_id"].append(entry[1])
                    out["matched_name"].append(table_names[row])
                    out["explanation"].append(explanation)
                    out["query_country"].append(batch_countries[qi])
                if rank > top:
                    break
    return pa.table(out, schema=NAME_MATCH_SCHEMA)


def compare_names(name_a: str, name_b: str) -> Comparison:
    """Score one pair (see score_name_pairs; with two names every word weighs the same)."""
    return score_name_pairs([name_a], [name_b], workers=1)[0]
