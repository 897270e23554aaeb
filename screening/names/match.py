"""Score trade party names against list names and explain every hit.

Score (0-100) = 100 x (0.7 x weighted token Dice + 0.3 x token-sort string similarity), where
token weights are IDF over the list names (generic words and legal forms weigh little) and a
typo'd token counts by its spelling similarity. An identifier shared by query and listed entry
(an INN glued to a customs name, say) makes the score 100. DEFAULT_THRESHOLD is the flagging
cut-off used everywhere unless a run configures another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import weakref
from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process
from scipy import sparse

from screening import progress
from screening.names import normalise
from screening.names.acronyms import acronym_reading
from screening.names.articles import article_reading
from screening.names.cut import (
    cut_version_score,
    maybe_truncated,
    possibly_cut,
    rows_possibly_cut,
    truncated_scores,
)
from screening.names.features import (
    FEATURES,
    Pair,
    corroborated,
    needs_corroboration,
)
from screening.names.index import (
    FuzzyMap,
    NameIndex,
    describe_weight,
    distinctive_key,
    is_abbreviation,
    token_idf,
)
from screening.names.normalise import (
    TRUNCATION_MIN_LEN,
    NormalisedName,
    normalise_names,
)
from screening.names.pair_sets import pairs_among
from screening.names.readings import Readings, best_reading, read_queries
from screening.names.repair import KnownWords
from screening.names.respaced import respaced_candidates, respaced_pairs
from screening.names.slashed import slash_rows
from screening.names.slips import one_slip_reading, respaced_slip_reading
from screening.names.tunables import MatchSettings, settings
from screening.schema import NAME_MATCH_SCHEMA, empty_table

DEFAULT_THRESHOLD = settings.flag_threshold
"""The flag threshold (screening.names.settings): one definition for run, match-names, compare."""
ONE_COMMON_WORD_PENALTY = -settings.one_common_word


def _explain_words(pair: Pair) -> list[str]:
    """The name-similarity part of an explanation, in the words of the names as written."""
    query, key, index, fuzzy = pair.query, pair.key, pair.index, pair.fuzzy
    key_tokens = set(key.tokens)
    cut = pair.cut or (possibly_cut(query) and cut_version_score(query.tokens, key.tokens) > 0)
    at = len(query.tokens) - 1
    # (matched on the untranslated words, the cut word may not be one of the key's)
    cut_word = key.tokens[at] if cut and at < len(key.tokens) else None
    matched, missing = [], []
    for t in dict.fromkeys(query.tokens):
        kind = describe_weight(token_idf(index, t if t in index.vocab else ""))
        ours = query.as_written(t)
        if t in key_tokens:
            matched.append(f"{ours} ({kind})")
        elif alt := next((a for a in fuzzy.get(t, []) if a[0] in key_tokens), None):
            how = "abbreviation" if is_abbreviation(t, alt[0]) else "spelling"
            matched.append(f"{ours}~{key.as_written(alt[0])} ({how} {alt[1]:.2f})")
        elif cut_word and t == query.tokens[-1]:
            matched.append(f"{ours}... (start of {key.as_written(cut_word)})")
        else:
            missing.append(ours)
    q_set = set(query.tokens) | {a for t in query.tokens for a, _ in fuzzy.get(t, [])}
    q_set |= {cut_word} if cut_word else set()
    extra = [key.as_written(t) for t in key.tokens if t not in q_set]
    parts = ["matched words: " + (", ".join(matched) or "none")]
    if missing:
        parts.append("only in trade name: " + ", ".join(missing))
    if extra:
        parts.append("only in list name: " + ", ".join(extra))
    if query.removed or key.removed:
        parts.append(
            "legal forms set aside: "
            + (", ".join(query.removed) or "-")
            + " vs "
            + (", ".join(key.removed) or "-")
        )
    if cut:
        parts.append(
            f"trade name may be cut at {query.written_length} characters: "
            "compared with the start of the list name"
        )
    return parts


def explain_pair(pair: Pair, *, held: bool = False, one_to_one: bool = False) -> str:
    """The sentences an analyst reads for one returned hit: the words that matched, then each
    feature that moved the score with its points, then what corroboration it lacks (for a
    ``one_to_one`` comparison, that screening would hold it for want of corroboration)."""
    parts = _explain_words(pair)
    for feature in FEATURES:
        result = feature.func(pair, True)
        if result.value:
            points = feature.weight(pair.settings) * result.value
            parts.append(f"{result.detail} ({points:+.0f})")
    if pair.identifier:
        parts.append(pair.identifier)
    reason = needs_corroboration(pair)
    if reason and not corroborated(pair) and one_to_one:
        parts.append(
            f"needs corroboration when screening: rests on {reason}; run and match-names hold "
            "it below the threshold unless a country or identifier agrees"
        )
    elif reason and not corroborated(pair):
        parts.append(
            f"needs corroboration: rests on {reason}, and no agreeing country or identifier"
            + (" (held below the threshold)" if held else "")
        )
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
    held: np.ndarray
    """per pair: would have flagged, held below the threshold for want of corroboration"""
    cut: np.ndarray
    """per pair: scored as a trade name cut short"""


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


def _identifier_pairs(id_hits: IdentifierHits) -> tuple[np.ndarray, np.ndarray]:
    """(query row, key id) of every pair that shares an identifier."""
    rows = np.array([qi for qi, ks in id_hits.items() for _ in ks], dtype=np.int64)
    keys = np.array([k for ks in id_hits.values() for k in ks], dtype=np.int64)
    return rows, keys


def _qualify(pairs: Iterable[Pair], n: int, config: MatchSettings) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the points the qualifying features add (negative: take off), and whether it
    needs corroboration it does not have."""
    points = np.zeros(n)
    uncorroborated = np.zeros(n, dtype=bool)
    weights = [(f.func, f.weight(config)) for f in FEATURES]
    for i, pair in enumerate(pairs):
        total = 0.0
        for func, weight in weights:
            value = func(pair, False).value
            if value:
                total += weight * value
        points[i] = total
        uncorroborated[i] = needs_corroboration(pair) is not None and not corroborated(pair)
    return points, uncorroborated


def score_pairs(
    queries: Sequence[NormalisedName],
    index: NameIndex,
    *,
    threshold: float | None = None,
    workers: int = -1,
    query_countries: Sequence[str | None] | None = None,
    config: MatchSettings = settings,
    keep_held: bool = False,
    written: Sequence[str] | None = None,
) -> ScoredPairs:
    """Generate candidates for the queries and keep the pairs scoring >= ``threshold`` (and,
    with ``keep_held``, those held just below it for want of corroboration)."""
    threshold = config.flag_threshold if threshold is None else threshold
    mapping = index.map_tokens(queries, workers=workers)
    blocking, weighted, total = index.query_matrices(queries, mapping)
    q_rows, k_ids, rare_shared = index.candidates(
        blocking, max_candidates=config.max_candidates_per_name
    )
    cut_rows, cut_keys = index.prefix_candidates(queries, rows_possibly_cut(queries))
    same_rows, same_keys = index.exact_candidates(queries)
    spaced = spaced_rows, spaced_keys = respaced_candidates(queries, index)
    id_hits = _identifier_hits(queries, index)
    id_rows, id_keys = _identifier_pairs(id_hits)
    # what a pair's words can share at most: known for the rare-word candidates (the first
    # pairs), not bounded for the others (few)
    overlap_bound = None
    if normalise.SHORTCUTS:
        overlap_bound = rare_shared + index.rare_weight_bound(blocking, weighted)[q_rows]
    # a pair found twice is scored twice and kept once (best_reading): cheaper than deduping
    q_rows = np.concatenate([q_rows, cut_rows, same_rows, spaced_rows, id_rows])
    k_ids = np.concatenate([k_ids, cut_keys, same_keys, spaced_keys, id_keys])
    if overlap_bound is not None:
        unbounded = np.full(len(q_rows) - len(overlap_bound), np.inf)
        overlap_bound = np.concatenate([overlap_bound, unbounded])
    q_rows, k_ids, scores, held, cut = _score_given_pairs(
        queries,
        index,
        q_rows,
        k_ids,
        weighted,
        total,
        id_hits,
        mapping.fuzzy_pairs,
        threshold=threshold,
        workers=workers,
        query_countries=query_countries,
        config=config,
        overlap_bound=overlap_bound,
        written=written,
        respaced=spaced,
    )
    keep = (scores >= threshold) | (held & keep_held)
    return ScoredPairs(
        q_rows[keep],
        k_ids[keep],
        scores[keep],
        mapping.fuzzy_pairs,
        id_hits,
        held[keep],
        cut[keep],
    )


def _score_given_pairs(
    queries: Sequence[NormalisedName],
    index: NameIndex,
    q_rows: np.ndarray,
    k_ids: np.ndarray,
    weighted: sparse.csr_matrix,
    total: np.ndarray,
    id_hits: IdentifierHits,
    fuzzy: FuzzyMap,
    *,
    threshold: float,
    workers: int,
    query_countries: Sequence[str | None] | None,
    config: MatchSettings,
    overlap_bound: np.ndarray | None = None,
    hold: bool = True,
    written: Sequence[str] | None = None,
    respaced: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(query rows, key ids, scores, held, cut) of the pairs that may reach ``threshold``.

    Name similarity for all pairs at once (vectorised), then the qualifying features for the
    pairs it brings near the threshold; a pair needing corroboration it lacks is held just
    below the flag threshold (``held``: it would have flagged). ``overlap_bound``: per pair,
    at least the word weight it shares (inf where unknown); pairs it proves out of reach are
    set aside before their overlap is computed. ``hold=False`` (a one-to-one comparison) marks
    such pairs in ``held`` but leaves their scores: the hold guards a search of every trade
    name against every list name, where a slip repaired in a short name finds some list entry
    by chance; an analyst comparing two given names has no such search behind the pair.
    ``written``: per query reading, the trade name as written (features read its bracketed
    parts, which a reading may have set aside). ``respaced``: respaced_candidates(queries,
    index), when the caller has found them already."""
    empty = np.zeros(0, dtype=bool)
    if len(q_rows) == 0:
        return q_rows, k_ids, np.empty(0), empty, empty
    id_pair = pairs_among(q_rows, k_ids, *_identifier_pairs(id_hits), len(index.keys))
    share = config.token_weight_share
    cut = maybe_truncated(queries, index, q_rows, k_ids)
    # the same letters with spaces moved (NET WORKS / NETWORKS): the words agree in full
    respaced = respaced_pairs(queries, index, q_rows, k_ids, respaced)
    excess = _typo_excess_matrix(queries, index, fuzzy)
    if overlap_bound is not None:
        # string similarity adds at most its share, and the words' overlap at most what the
        # bound allows: most candidate pairs are out of reach before their overlap is computed
        most_excess = (
            np.asarray(excess.sum(axis=1), dtype=np.float64).ravel()[q_rows]
            if excess is not None
            else 0.0
        )
        least_counted = total[q_rows] - most_excess + index.key_weight[k_ids]
        bound = overlap_bound * (1 + 1e-4) + 1e-4  # (float32 sums: a margin, never a miss)
        dice_bound = np.where(
            least_counted > 0, np.minimum(2.0 * bound / np.maximum(least_counted, 1e-9), 1.0), 1.0
        )
        may_reach = (
            100.0 * (share * dice_bound + (1 - share)) + config.country_agreement >= threshold
        )
        open_ = may_reach | id_pair | cut | respaced
        q_rows, k_ids, id_pair, cut = q_rows[open_], k_ids[open_], id_pair[open_], cut[open_]
        respaced = respaced[open_]
    shared = np.asarray(weighted[q_rows].multiply(index.key_matrix[k_ids]).sum(axis=1)).ravel()
    counted = total[q_rows] - _typo_excess(excess, index, q_rows, k_ids)
    dice = np.clip(2.0 * shared / (counted + index.key_weight[k_ids]), 0.0, 1.0)
    dice[respaced] = 1.0
    # string similarity adds at most its share: pairs that cannot reach the threshold go now
    best_case = 100.0 * (share * dice + (1 - share))
    reachable = (best_case + config.country_agreement >= threshold) | id_pair | cut
    q_rows, k_ids, dice = q_rows[reachable], k_ids[reachable], dice[reachable]
    id_pair, cut, respaced = id_pair[reachable], cut[reachable], respaced[reachable]
    expanded = _expanded_keys(queries, fuzzy)
    list_keys = [index.keys[k].key for k in k_ids]
    string_sim = (
        process.cpdist(
            [expanded[i] for i in q_rows],
            list_keys,
            scorer=fuzz.token_sort_ratio,
            workers=workers,
            dtype=np.float32,
        )
        / 100.0
    )
    # a word read as an abbreviation may be the list name's own word as written (RTK, VAD):
    # where a query was expanded, its key as written is compared too and the closer counts
    differs = np.array([expanded[i] != queries[i].key for i in q_rows.tolist()], dtype=bool)
    if differs.any():
        rows = np.flatnonzero(differs)
        as_written = (
            process.cpdist(
                [queries[i].key for i in q_rows[rows].tolist()],
                [list_keys[r] for r in rows.tolist()],
                scorer=fuzz.token_sort_ratio,
                workers=workers,
                dtype=np.float32,
            )
            / 100.0
        )
        string_sim[rows] = np.maximum(string_sim[rows], as_written)
    # the same distinctive words, only generic ones apart (JSC KALASHNIKOV / JOINT STOCK
    # COMPANY CONCERN KALASHNIKOV): the spelling of the name agrees in full
    ours = np.array([_distinctive_key(q) for q in queries], dtype=object)[q_rows]
    theirs = np.asarray(index.distinctive_keys, dtype=object)[k_ids]
    long_enough = np.array([len(t) >= MIN_DISTINCTIVE_KEY_LEN for t in theirs], dtype=bool)
    string_sim[(ours == theirs) & long_enough] = 1.0
    string_sim[respaced] = 1.0
    scores = 100.0 * (share * dice + (1 - share) * string_sim)
    cut_won = np.zeros(len(scores), dtype=bool)
    if cut.any():
        rows = np.flatnonzero(cut)
        truncated = truncated_scores(queries, index, q_rows[rows], k_ids[rows])
        cut_won[rows] = truncated > scores[rows]
        scores[rows] = np.maximum(scores[rows], truncated)
    near = np.flatnonzero(scores + config.country_agreement >= threshold)
    countries = query_countries
    pairs = (
        Pair(
            query=queries[qi],
            key=index.keys[k],
            key_id=k,
            index=index,
            fuzzy=fuzzy,
            settings=config,
            query_country=countries[qi] if countries is not None else None,
            cut=bool(c),
            identifier=id_hits.get(qi, {}).get(k),
            query_written=written[qi] if written is not None else None,
        )
        for qi, k, c in zip(
            q_rows[near].tolist(), k_ids[near].tolist(), cut_won[near].tolist(), strict=True
        )
    )
    points, uncorroborated = _qualify(pairs, len(near), config)
    scores[near] += points
    scores = np.minimum(scores, 100.0)
    scores[id_pair] = 100.0
    scores = np.round(scores, 1)  # as reported: 87.99999 from float sums is 88.0
    held = np.zeros(len(scores), dtype=bool)
    ceiling = round(config.flag_threshold - config.corroboration_margin, 1)
    held[near] = uncorroborated & (scores[near] > ceiling)
    if hold:
        scores[held] = ceiling
    return q_rows, k_ids, scores, held, cut_won


def _typo_excess_matrix(
    queries: Sequence[NormalisedName], index: NameIndex, fuzzy: FuzzyMap
) -> sparse.csr_matrix | None:
    """Per query and list word, the weight a typo'd word was over-counted by in its query's
    total against a list name holding that word (None: no word was): the word counts at its
    heaviest reading (GRUOP: GROUP, or the rare GROOP?), but against a list name holding one
    of its readings that is a generic word it weighs what that word weighs (STROYTRANSGAZ
    GRUOP against STROYTRANSGAZ GROUP: the slip was in the common word). A reading as a
    distinctive word keeps the heavier count: a name resting on a repaired distinctive word
    must not gain from it (ESTRELLA is not STRELA)."""
    excess_of: dict[str, list[tuple[int, float]]] = {}
    for token, alternatives in fuzzy.items():
        if len(alternatives) < 2 or token in index.vocab:
            continue
        ids = [index.vocab[alt] for alt, _ in alternatives]
        weights = index.weights[ids]
        heaviest = float(weights.max())
        excess_of[token] = [
            (i, heaviest - float(w))
            for i, w in zip(ids, weights.tolist(), strict=True)
            if w < heaviest and index.generic[i]
        ]
    if not excess_of:
        return None
    rows, cols, vals = [], [], []
    for qi, query in enumerate(queries):
        for token in set(query.tokens) & excess_of.keys():
            for col, value in excess_of[token]:
                rows.append(qi)
                cols.append(col)
                vals.append(value)
    if not rows:
        return None
    return sparse.csr_matrix(
        (np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(queries), len(index.vocab))
    )


def _typo_excess(
    excess: sparse.csr_matrix | None, index: NameIndex, q_rows: np.ndarray, k_ids: np.ndarray
) -> np.ndarray:
    """Per pair, the weight its query's total was over-counted by (_typo_excess_matrix)."""
    if excess is None:
        return np.zeros(len(q_rows))
    return np.asarray(excess[q_rows].multiply(index.key_matrix[k_ids]).sum(axis=1)).ravel()


MIN_DISTINCTIVE_KEY_LEN = 5
"""Only generic words apart is agreement in full for a name of some length: LLC SVR
DISTRIBUTION is not the SVR."""


def _expanded_keys(queries: Sequence[NormalisedName], fuzzy: FuzzyMap) -> list[str]:
    """Per query, its key with each abbreviation read as the list word it stands for (SIBERIAN
    AVN HLD as SIBERIAN AVIATION HOLDING): what string similarity compares."""
    out = []
    for q in queries:
        words = []
        for t in q.tokens:
            alt = next((a for a, _ in fuzzy.get(t, []) if is_abbreviation(t, a)), None)
            words.append(alt or t)
        out.append(" ".join(words))
    return out


def _distinctive_key(name: NormalisedName) -> str:
    return distinctive_key(name)


def _pair_index(
    names_b: Sequence[str],
    reference: NameIndex | None,
    *,
    rarity: NameIndex | None = None,
    entity_types: Sequence[str | None] | None = None,
) -> NameIndex:
    """An index of the second names (with their entity types where the pair file gives them).
    Word weights come from ``reference`` (the lists), which also lends its known words; or
    only the weights from ``rarity`` (the whole pair file), so a pair scored alone weighs its
    words as the file does, without reading its first name against other rows' words."""
    types = entity_types if entity_types is not None else [None] * len(names_b)
    corpus = sorted({(n, t) for n, t in zip(names_b, types, strict=True) if n}, key=str)
    index = NameIndex.build_uncached(  # a pair file's index: not worth a cache entry
        pa.table(
            {
                "list_source": pa.array(["pairs"] * len(corpus)),
                "source_id": pa.array([str(i) for i in range(len(corpus))]),
                "entity_type": pa.array([t for _, t in corpus], pa.string()),
                "name": pa.array([n for n, _ in corpus]),
                "name_kind": pa.array(["primary"] * len(corpus)),
            }
        )
    )
    if reference is not None and rarity is not None:
        return _with_lists_reading(index, reference, rarity)
    if reference is not None:
        return index.with_word_rarity_of(reference)
    if rarity is not None:
        return _with_weights_of(index, rarity)
    return index


class _Union(Set[str]):
    """Two word sets read as one, without copying the larger (the lists' words)."""

    def __init__(self, small: Set[str], large: Set[str]) -> None:
        self.small, self.large = small, large

    def __contains__(self, word: object) -> bool:
        return word in self.small or word in self.large

    def __iter__(self) -> Iterator[str]:
        yield from self.large
        yield from (w for w in self.small if w not in self.large)

    def __len__(self) -> int:
        return len(self.large) + sum(w not in self.large for w in self.small)

    def __eq__(self, other: object) -> bool:  # by identity: repairs are cached per word set
        return self is other

    def __hash__(self) -> int:
        return id(self)


def _with_lists_reading(index: NameIndex, reference: NameIndex, rarity: NameIndex) -> NameIndex:
    """``index`` (one second name) as index.with_word_rarity_of(reference) makes it, with the
    weights of ``rarity`` (the whole pair file, already weighted by the lists) and the lists'
    known words read through, not copied: scoring thousands of pairs one by one stays cheap."""
    own = index.known_words
    return dataclasses.replace(
        _with_weights_of(index, rarity),
        known_words=KnownWords(
            raw=_Union(own.raw, reference.known_words.raw),  # type: ignore[arg-type]
            folded=_Union(own.folded, reference.known_words.folded),  # type: ignore[arg-type]
        ),
        abbreviation_targets=reference.abbreviation_targets,
        unseen_weight=reference.unseen_token_weight,
    )


def _with_weights_of(index: NameIndex, rarity: NameIndex) -> NameIndex:
    """``index`` with the word weights of ``rarity`` (which knows every word of it) and its
    weight for unseen words; its own known words stay."""
    weights = index.weights.copy()
    for token, i in index.vocab.items():
        j = rarity.vocab.get(token)
        if j is not None:
            weights[i] = rarity.weights[j]
    return dataclasses.replace(
        index,
        weights=weights,
        key_weight=np.asarray(index.key_matrix @ weights).ravel(),
        unseen_weight=rarity.unseen_token_weight,
    )


def score_name_pairs(
    names_a: Sequence[str],
    names_b: Sequence[str],
    *,
    reference: NameIndex | None = None,
    workers: int = -1,
    config: MatchSettings = settings,
    entity_types: Sequence[str | None] | None = None,
) -> list[Comparison]:
    """Score aligned pairs (names_a[i] vs names_b[i]) with the matcher's features.

    Each pair scores as match-names would score its first name against a list holding its
    second name alone, whatever else the file holds: word rarity is learnt from all the
    second names (with ``reference``, the index of the screening lists, from the lists
    wherever they know the word), but a first name is read (its slips repaired, its joined
    words split, its typos mapped) against its own second name only. Otherwise "SiemensAG"
    vs "Siemens AG" would score 88 alone and 6 in a file where another row's second name is
    "SiemensAG". A pair that screening would hold for want of corroboration (a slip repaired
    in a short name, a personal name) keeps its score here and its explanation says so: the
    hold guards the search of every trade name against every list name, not a comparison of
    two given names. ``entity_types`` (per pair, as a list's
    ``entity_type``: "entity", "individual" or None) tells which second names are people, as a
    list does; where it is None a name is judged by its words, as on an untyped list.
    """
    if len(names_a) != len(names_b):
        raise ValueError("names_a and names_b must have the same length")
    types = list(entity_types) if entity_types is not None else [None] * len(names_b)
    parts = slash_rows(list(names_a), list(names_b))
    if parts:
        # a slashed name (Al-Qa'ida/Islamic Army) is two names: each part scored as a pair
        # of its own, the best counts
        scored = _score_name_pairs(
            [*names_a, *(a for _, a, _, _ in parts)],
            [*names_b, *(b for _, _, b, _ in parts)],
            reference=reference,
            workers=workers,
            config=config,
            entity_types=[*types, *(types[i] for i, _, _, _ in parts)],
        )
        best = scored[: len(names_a)]
        for (i, _, _, part), result in zip(parts, scored[len(names_a) :], strict=True):
            if result.score > best[i].score:
                best[i] = Comparison(
                    result.score, f"read as the name '{part}'; {result.explanation}"
                )
        return best
    return _score_name_pairs(
        names_a, names_b, reference=reference, workers=workers, config=config, entity_types=types
    )


def _score_name_pairs(
    names_a: Sequence[str],
    names_b: Sequence[str],
    *,
    reference: NameIndex | None,
    workers: int,
    config: MatchSettings,
    entity_types: Sequence[str | None],
) -> list[Comparison]:
    types = list(entity_types)
    index = _pair_index(names_b, reference, entity_types=types)
    alone_rows = own_reading_rows(names_a, names_b)
    read_alone = {i for rows in alone_rows.values() for i in rows}
    shared = [i for i in range(len(names_a)) if i not in read_alone]
    results: list[Comparison] = [Comparison(0.0, "")] * len(names_a)
    if shared:
        scored = _score_aligned(
            [names_a[i] for i in shared],
            [names_b[i] for i in shared],
            index,
            workers=workers,
            config=config,
        )
        for i, result in zip(shared, scored, strict=True):
            results[i] = result
    for name_b, rows in alone_rows.items():
        for entity_type in sorted({types[i] for i in rows}, key=str):
            same = [i for i in rows if types[i] == entity_type]
            alone = _pair_index([name_b], reference, rarity=index, entity_types=[entity_type])
            scored = _score_aligned(
                [names_a[i] for i in same],
                [name_b] * len(same),
                alone,
                workers=workers,
                config=config,
            )
            for i, result in zip(same, scored, strict=True):
                results[i] = result
    return results


def own_reading_rows(names_a: Sequence[str], names_b: Sequence[str]) -> dict[str, list[int]]:
    """Rows whose first name has a word its second name lacks, by second name: how such a
    word is read (repaired, split, mapped to the closest list word) could lean on the other
    rows' names, so these rows are scored against their own second name alone. A first name
    made only of its second name's words reads the same in any company."""
    firsts = normalise_names([a or "" for a in names_a], may_be_cut=False)
    seconds = normalise_names([b or "" for b in names_b], may_be_cut=False)
    rows: dict[str, list[int]] = {}
    for i, (first, second) in enumerate(zip(firsts, seconds, strict=True)):
        if names_b[i] and not set(first.tokens) <= set(second.tokens):
            rows.setdefault(names_b[i], []).append(i)
    return rows


def _score_aligned(
    names_a: Sequence[str],
    names_b: Sequence[str],
    index: NameIndex,
    *,
    workers: int,
    config: MatchSettings,
) -> list[Comparison]:
    """Score aligned pairs against ``index`` (built from, at least, every name of names_b)."""
    readings = read_queries([a or "" for a in names_a], index)
    # the target of a pair is its list name read as the index read it, every alternative
    # (its parenthetical parts too): the best-scoring one counts, as in match_names
    targets = normalise_names([b or "" for b in names_b], may_be_cut=False)
    readings = _with_slip_readings(readings, targets)
    queries = readings.names
    target_keys = _target_keys(names_b, index)
    pairs = [
        (r, k)
        for r, (q, origin) in enumerate(zip(queries, readings.origin.tolist(), strict=True))
        if q.tokens
        for k in target_keys[origin]
    ]
    r_rows = np.array([r for r, _ in pairs], dtype=np.int64)
    k_ids = np.array([k for _, k in pairs], dtype=np.int64)
    mapping = index.map_tokens(queries, workers=workers)
    _, weighted, total = index.query_matrices(queries, mapping)
    compared = set(r_rows.tolist())
    id_hits = {qi: hits for qi, hits in _identifier_hits(queries, index).items() if qi in compared}
    scored_r, scored_k, scores, held, cut = _score_given_pairs(
        queries,
        index,
        r_rows,
        k_ids,
        weighted,
        total,
        id_hits,
        mapping.fuzzy_pairs,
        threshold=0.0,
        workers=workers,
        query_countries=None,
        config=config,
        hold=False,
        written=[names_a[o] or "" for o in readings.origin.tolist()],
    )
    best_q, best_k, best_s, best_r = best_reading(scored_r, scored_k, scores, readings.origin)
    by_row: dict[int, tuple[int, float, int]] = {}
    for q, k, s, r in zip(*(a.tolist() for a in (best_q, best_k, best_s, best_r)), strict=True):
        # the list name read every way it is read (its parenthetical parts too): the best
        if q not in by_row or s > by_row[q][1]:
            by_row[q] = (k, s, r)
    flags = {
        (int(r), int(k)): (bool(h), bool(c))
        for r, k, h, c in zip(scored_r, scored_k, held, cut, strict=True)
    }
    results = []
    for i, target in enumerate(targets):
        if i not in by_row:
            results.append(
                Comparison(0.0, f"nothing to compare: '{queries[i].key}' vs '{target.key}'")
            )
            continue
        key_id, score, reading = by_row[i]
        _held, was_cut = flags[(reading, key_id)]
        pair = Pair(
            query=queries[reading],
            key=index.keys[key_id],
            key_id=key_id,
            index=index,
            fuzzy=mapping.fuzzy_pairs,
            settings=config,
            cut=was_cut,
            identifier=id_hits.get(reading, {}).get(key_id),
            query_written=names_a[i] or "",
        )
        results.append(Comparison(round(score, 1), explain_pair(pair, one_to_one=True)))
    return results


def _with_slip_readings(readings: Readings, targets: Sequence[NormalisedName]) -> Readings:
    """The readings plus, per pair whose names differ by one slip in one word, the first name
    with that slip repaired (screening.names.slips), and where one name abbreviates words of
    the other, the first name read with the acronym written out or the words abbreviated
    (screening.names.acronyms), and where only one name begins with "the", the first name read
    with the same start (screening.names.articles): one-to-one comparisons only."""
    names, origin = list(readings.names), readings.origin.tolist()
    for i, target in enumerate(targets):
        for reading in (
            one_slip_reading(readings.names[i], target),
            respaced_slip_reading(readings.names[i], target),
            acronym_reading(readings.names[i], target),
            article_reading(readings.names[i], target),
        ):
            if reading is not None:
                names.append(reading)
                origin.append(i)
    if len(names) == len(readings.names):
        return readings
    return Readings(names=names, origin=np.array(origin, dtype=np.int64))


def _target_keys(names_b: Sequence[str], index: NameIndex) -> list[list[int]]:
    """Per second name, the index keys it was read into (with its alternative names)."""
    rows_of: dict[str, list[int]] = {}
    for row, name in enumerate(index.list_table["name"].to_pylist()):
        rows_of.setdefault(name, []).append(row)
    key_of_row: dict[int, set[int]] = {}
    for k, rows in enumerate(index.key_rows):
        for row in rows.tolist():
            key_of_row.setdefault(row, set()).add(k)
    out = []
    for name in names_b:
        keys: set[int] = set()
        for row in rows_of.get(name or "", []):
            keys |= key_of_row.get(row, set())
        out.append(sorted(keys))
    return out


def distinct_queries(
    names: Iterable[str | None], countries: Iterable[str | None] | None
) -> list[tuple[str, str | None]]:
    """The distinct non-empty (name, country) pairs, names stripped, sorted by name then
    country (a missing country first)."""
    names = list(names)
    if countries is None:  # (sorting strings, not tuples through a key function)
        distinct = {n.strip() for n in names if isinstance(n, str)}
        distinct.discard("")
        return [(n, None) for n in sorted(distinct)]
    pairs = (
        zip(names, countries, strict=True) if countries is not None else ((n, None) for n in names)
    )
    return sorted(
        {(n.strip(), _country(c)) for n, c in pairs if isinstance(n, str) and n.strip()},
        key=lambda p: (p[0], p[1] or ""),
    )


def _country(code: object) -> str | None:
    """An ISO-2 country, or None for a missing one (None, "", NaN from a data frame)."""
    return code.strip() or None if isinstance(code, str) else None


def match_names(
    names: Iterable[str | None],
    index: NameIndex,
    *,
    countries: Iterable[str | None] | None = None,
    threshold: float | None = None,
    top: int = 3,
    workers: int = -1,
    config: MatchSettings = settings,
    show_held: bool = False,
    name_keys: dict[str, str | None] | None = None,
) -> pa.Table:
    """Match party names against the index: one row per (query, listed entry) hit, best first.

    Works over distinct non-empty names (with ``countries``, distinct (name, ISO-2 country)
    pairs: the party's own country qualifies the score). A name with no hit at or above
    ``threshold`` (default: the flag threshold) does not appear, except, with ``show_held``,
    hits held just below it because they need corroboration (their explanation says so).
    ``top`` caps listed entries per query. Deterministic.

    ``name_keys``, where the names are matched in this process, is filled with each distinct
    name's normalised key (``normalise_name(name).key``, None for none), read off the
    readings matching makes anyway: a screening run keys its parties by it (re-export
    chains, surges, the review store) and need not normalise every name a second time.
    """
    return match_distinct_names(
        distinct_queries(names, countries), index, use_countries=countries is not None,
        threshold=threshold, top=top, workers=workers, config=config, show_held=show_held,
        name_keys=name_keys,
    )  # fmt: skip


def match_distinct_names(
    distinct: Sequence[tuple[str, str | None]],
    index: NameIndex,
    *,
    use_countries: bool,
    threshold: float | None = None,
    top: int = 3,
    workers: int = -1,
    config: MatchSettings = settings,
    show_held: bool = False,
    name_keys: dict[str, str | None] | None = None,
) -> pa.Table:
    """:func:`match_names` over (name, country) pairs :func:`distinct_queries` already made
    (for a caller that read them while the index loaded: screening.names.file_matching);
    ``use_countries``: the countries are the parties' own (else all None)."""
    threshold = config.flag_threshold if threshold is None else threshold
    if not distinct or not index.keys:
        return empty_table(NAME_MATCH_SCHEMA)
    from screening.names.bulk import (
        PARALLEL_MIN_NAMES,
        fewer_collections,
        match_in_processes,
        process_count,
    )

    # a display's refresh thread would keep a forkable set in one process (see bulk)
    forkable = workers != 1 and len(distinct) >= PARALLEL_MIN_NAMES
    paused = progress.refresh_thread_paused() if forkable else contextlib.nullcontext()
    with fewer_collections(), paused:
        if (processes := process_count(len(distinct), workers)) > 1:
            return match_in_processes(
                match_names, distinct, index, processes=processes, use_countries=use_countries,
                threshold=threshold, top=top, config=config, show_held=show_held,
            )  # fmt: skip
        out = _match_distinct(
            distinct, index, use_countries=use_countries, threshold=threshold, top=top,
            workers=workers, config=config, show_held=show_held, name_keys=name_keys,
        )  # fmt: skip
    return pa.table(out, schema=NAME_MATCH_SCHEMA)


def match_hits(
    names: Iterable[str | None],
    index: NameIndex,
    *,
    countries: Iterable[str | None] | None = None,
    threshold: float | None = None,
    top: int = 3,
    config: MatchSettings = settings,
    show_held: bool = False,
) -> dict[str, list]:
    """The hits :func:`match_names` gives, as columns of Python values (NAME_MATCH_SCHEMA's
    names), matched in this process on one thread: for a caller reading a few hits, such as
    the single-name lookup. No Arrow table is built: pyarrow's first conversion of Python
    values imports pandas (to ask whether they are a data frame), half a second a lookup does
    not need."""
    threshold = config.flag_threshold if threshold is None else threshold
    distinct = distinct_queries(names, countries)
    if not distinct or not index.keys:
        return {f.name: [] for f in NAME_MATCH_SCHEMA}
    return _match_distinct(
        distinct, index, use_countries=countries is not None, threshold=threshold, top=top,
        workers=1, config=config, show_held=show_held,
    )  # fmt: skip


def _match_distinct(
    distinct: Sequence[tuple[str, str | None]],
    index: NameIndex,
    *,
    use_countries: bool,
    threshold: float,
    top: int,
    workers: int,
    config: MatchSettings,
    show_held: bool,
    name_keys: dict[str, str | None] | None = None,
) -> dict[str, list]:
    """The hits of sorted distinct (name, country) pairs, as NAME_MATCH_SCHEMA's columns
    (and, into ``name_keys``, each name's key: see :func:`match_names`)."""
    unique = [n for n, _ in distinct]
    table_sources, table_ids, table_names = index.entry_columns()
    out: dict[str, list] = {f.name: [] for f in NAME_MATCH_SCHEMA}
    advance = progress.counter("Matching names", total=len(unique))
    for start in range(0, len(unique), config.batch_size):
        batch = unique[start : start + config.batch_size]
        advance(len(batch))
        batch_countries = [c for _, c in distinct[start : start + config.batch_size]]
        readings = read_queries(batch, index)
        if name_keys is not None:  # the first len(batch) readings are the names as written
            name_keys.update(zip(batch, (r.key or None for r in readings.names), strict=False))
        reading_countries = [batch_countries[i] for i in readings.origin.tolist()]
        scored = score_pairs(
            readings.names,
            index,
            threshold=threshold,
            workers=workers,
            query_countries=reading_countries if use_countries else None,
            config=config,
            keep_held=show_held,
            written=[batch[i] for i in readings.origin.tolist()],
        )
        q_rows, k_ids, scores, r_rows = best_reading(
            scored.query_rows, scored.key_ids, scored.scores, readings.origin
        )
        flags = {
            (int(r), int(k)): (bool(h), bool(c))
            for r, k, h, c in zip(
                scored.query_rows, scored.key_ids, scored.held, scored.cut, strict=True
            )
        }
        fuzzy, id_hits = scored.fuzzy_tokens, scored.identifier_hits
        coverage, extra = _whole_name_coverage(
            batch,
            q_rows,
            k_ids,
            index,
            table_names,
            plain=readings.names[: len(batch)] if normalise.SHORTCUTS else None,
        )
        mostly_held = (coverage >= MIN_WHOLE_NAME_COVERAGE).astype(np.int8)
        identified = np.isin(k_ids, _identified_keys(index)).astype(np.int8)
        order = np.lexsort((k_ids, extra, -identified, -mostly_held, -scores, q_rows))
        per_query: dict[int, list[tuple[float, int, int]]] = {}
        for n in order:
            per_query.setdefault(int(q_rows[n]), []).append(
                (float(scores[n]), int(k_ids[n]), int(r_rows[n]))
            )
        for qi, hits in per_query.items():
            seen: set[tuple[str, str]] = set()
            rank = 0
            for score, key_id, reading in hits:
                was_held, was_cut = flags[(reading, key_id)]
                pair = Pair(
                    query=readings.names[reading],
                    key=index.keys[key_id],
                    key_id=key_id,
                    index=index,
                    fuzzy=fuzzy,
                    settings=config,
                    query_country=batch_countries[qi],
                    cut=was_cut,
                    identifier=id_hits.get(reading, {}).get(key_id),
                    query_written=batch[qi],
                )
                explanation = explain_pair(pair, held=was_held)
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
    return out


MIN_WHOLE_NAME_COVERAGE = 0.5
"""Of hits with equal scores, those whose whole list name holds fewer than half the trade
name's words come after the others; then hits on entries carrying an identifier (INN, OGRN:
what lets an analyst confirm the party) come first, then whole list names with fewer words the
trade name lacks (Huawei Technologies Co., Ltd. before its affiliates, whose names begin so),
then list order (the order of the reference lists)."""


def _whole_name_coverage(
    batch: Sequence[str],
    q_rows: np.ndarray,
    k_ids: np.ndarray,
    index: NameIndex,
    table_names: Sequence[str],
    *,
    plain: Sequence[NormalisedName] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per hit, the share of the trade name's words (as read: legal forms aside, spellings
    folded) that the whole list name it was read from holds. Names read in parts tie often:
    every CSSC institute scores 100 on the acronym CSSC, a trade name naming one of them
    included; the whole list name that holds the trade name's words is the one it names.
    Also, per hit, how many words of the whole list name the trade name lacks.
    ``plain``: the batch's names as already read (may be cut); one too short to have been cut,
    or not ending in what may be a legal form cut short, reads the same either way and is not
    read again."""
    if len(q_rows) == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    rows = q_rows.tolist()
    again = sorted(
        {
            q
            for q in rows
            if plain is None
            or (
                plain[q].written_length >= TRUNCATION_MIN_LEN
                and normalise.may_end_in_cut_form(plain[q].words)
            )
        }
    )
    read_again = dict(
        zip(again, normalise_names([batch[q] for q in again], may_be_cut=False), strict=True)
    )
    queries = [read_again[q] if q in read_again else plain[q] for q in rows]  # type: ignore[index]
    # each key's whole list name read once per index, not once per hit and batch
    whole: dict[int, frozenset[str]] = index.__dict__.setdefault("_whole_name_tokens", {})
    for k in set(k_ids.tolist()) - whole.keys():
        name = table_names[int(index.key_rows[k][0])]
        whole[k] = frozenset(normalise_names([name], may_be_cut=False)[0].tokens)
    coverage = np.array(
        [
            sum(t in whole[k] for t in a.tokens) / len(a.tokens) if a.tokens else 1.0
            for a, k in zip(queries, k_ids.tolist(), strict=True)
        ]
    )
    extra = np.array(
        [len(whole[k] - set(a.tokens)) for a, k in zip(queries, k_ids.tolist(), strict=True)],
        dtype=np.int64,
    )
    return coverage, extra


_IDENTIFIED: dict[int, tuple[weakref.ref, np.ndarray]] = {}


def _identified_keys(index: NameIndex) -> np.ndarray:
    """The keys whose entries carry an identifier (INN, OGRN, ...), sorted (once per index)."""
    cached = _IDENTIFIED.get(id(index))
    if cached is not None and cached[0]() is index:
        return cached[1]
    keys = np.array(
        sorted({k for ks in index.identifier_keys.values() for k in ks}), dtype=np.int64
    )
    _IDENTIFIED[id(index)] = (weakref.ref(index), keys)
    return keys


def compare_names(name_a: str, name_b: str, *, config: MatchSettings = settings) -> Comparison:
    """Score one pair (see score_name_pairs; with two names every word weighs the same)."""
    return score_name_pairs([name_a], [name_b], workers=1, config=config)[0]
