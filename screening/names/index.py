"""Candidate index over list names: rare-token inverted index as sparse matrices.

Why: comparing every trade name with every list name (unique names x list names) is what makes
naive screening slow and noisy. Here a trade name is only compared with list names sharing at
least one *rare* token with it (exactly, or within one or two edits for longer tokens), and
tokens are weighted by inverse document frequency over the list, so rare words count more and
generic words ("trading", "group", legal forms) never open a candidate by themselves.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
from rapidfuzz import process
from rapidfuzz.distance import OSA
from scipy import sparse

from screening.names import index_cache, normalise
from screening.names.normalise import (
    NormalisedName,
    fold_token,
    load_vocabulary,
    normalise_names,
)
from screening.names.repair import KnownWords, keep_tables
from screening.names.respaced import keys_by_letters
from screening.names.segments import honorific_free
from screening.names.tunables import settings

PARTY_ENTITY_TYPES = ("entity", "individual")
"""Vessels and aircraft are not trade parties; matching them to company names only adds noise."""

GENERIC_WEIGHT_FACTOR = 0.15
"""Generic words keep this share of their IDF weight."""
MAX_CANDIDATE_DF = 400
"""A token on more list names than this is too common to open candidates."""
_AFTER_EVERY_CHAR = "\U0010ffff"
"""Appended to a prefix: sorts after every string that begins with it."""
MAX_PREFIX_CANDIDATES = 50
"""A cut name beginning more list names than this is ambiguous; the first ones are scored."""
MAX_FUZZY_ALTERNATIVES = 4
MIN_SLIP_WORD_LEN = 6
MIN_FUZZY_TOKEN_LEN = 4
PER_KEY_TABLES_MIN_QUERIES = 1000
"""A batch of at least this many names reads look-up tables of every key built once per index
(exact keys by key string; screening.names.cut's key lengths and first words); a smaller one
(a single-name check) reads only the keys it needs rather than build them."""
MAX_KEPT_SPELLINGS = 1 << 18
"""Unknown words whose closest list spellings an index keeps between batches."""
FUZZY_TOKEN_CUTOFF = 0.8
"""Normalised OSA similarity for a token typo (one edit, a swap counting as one, in five
letters)."""


PLURAL_SIMILARITY = 0.9
"""Spelling similarity of a word read in the other number (URAL for URALS)."""
LONG_FUZZY_TOKEN_LEN = 8
LONG_FUZZY_TOKEN_CUTOFF = 0.75
"""A long word may be two edits from a list word of about its length (2 in 8 letters): a single
slip often folds into two (KUZNERSOVA ~ KUZNETSOVA reads KUZNERSOV ~ KUZNECOV)."""


def _fuzzy_cutoff(token: str) -> float:
    return LONG_FUZZY_TOKEN_CUTOFF if len(token) >= LONG_FUZZY_TOKEN_LEN else FUZZY_TOKEN_CUTOFF


FuzzyMap = dict[str, list[tuple[str, float]]]
"""query token -> the list words it may be a typo of, equally close, with that similarity"""


@dataclass(frozen=True)
class TokenMapping:
    """Query tokens mapped onto index vocabulary ids, with similarity (1.0 = exact). A typo'd
    token maps to every list word equally close to it (SAEOR: SAERO, SAVOR?), so the list
    name it came from is among its candidates."""

    vocab_ids: list[list[int]]
    similarities: list[list[float]]
    fuzzy_pairs: FuzzyMap
    totals: np.ndarray
    """per query, the weight of its words (a typo'd word counts once, at its heaviest reading)"""


@dataclass
class NameIndex:
    """Distinct normalised list names (keys) with their list rows and token weights."""

    list_table: pa.Table
    keys: list[NormalisedName]
    key_rows: list[np.ndarray]
    """per key, the row numbers in list_table carrying that name"""
    vocab: dict[str, int]
    tokens: list[str]
    weights: np.ndarray
    """per vocab token: IDF weight, reduced for generic words"""
    blocking: np.ndarray
    """per vocab token: may it open candidates"""
    generic: np.ndarray
    """per vocab token: a generic word (trading, group, ...)"""
    key_matrix: sparse.csr_matrix
    """keys x vocab, 1 where the key has the token"""
    key_weight: np.ndarray
    identifier_keys: dict[tuple[str, str], list[int]]
    key_is_weak: np.ndarray
    """per key: every list row carrying it is a weak alias (OFAC's low-quality a.k.a.)"""
    key_is_person: np.ndarray
    """per key: every list row carrying it is an individual, or, on a list that does not say
    (the BIS Entity List), the name reads as a person's (looks_personal)"""
    key_countries: list[frozenset[str]]
    """per key: ISO-2 countries of the listed entries carrying it"""
    known_words: KnownWords
    """the lists' words and the name vocabulary's, for re-cutting misplaced spaces"""
    sorted_keys: tuple[list[str], np.ndarray]
    """key strings in sorted order with their key ids: the list names a cut name begins"""
    _buckets: dict[str, tuple[list[str], np.ndarray]]
    unseen_weight: float | None = None
    """the weight of an unknown word, when learnt from other lists (with_word_rarity_of)"""
    distinctive_keys: list[str] = dataclasses.field(default_factory=list)
    """per key: its distinctive words (generic ones set aside), sorted, as one string"""
    abbreviation_targets: AbbreviationTargets = dataclasses.field(
        default_factory=lambda: AbbreviationTargets.build([], np.zeros(0))
    )
    """list words a customs abbreviation may stand for (AVN: AVIATION, HLD: HOLDING)"""
    respaced_keys: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    """the keys by their letters with spaces set aside (screening.names.respaced), so a lookup
    finds NETWORKS for NET WORKS without reading every key"""

    @classmethod
    def build(
        cls, list_table: pa.Table, *, entity_types: Sequence[str] = PARTY_ENTITY_TYPES
    ) -> NameIndex:
        """Index the party names of a canonical list table (LIST_ENTRY_SCHEMA); an index built
        before for the same table and matcher code is read back from the cache
        (screening.names.index_cache) instead."""
        key = index_cache.key_for(list_table, entity_types)
        cached = index_cache.load(key)
        if isinstance(cached, cls):
            return cached
        index = cls.build_uncached(list_table, entity_types=entity_types)
        keep_tables(index.known_words)  # (read back with the index, not built every run)
        index_cache.store(key, index)
        return index

    @classmethod
    def build_uncached(
        cls, list_table: pa.Table, *, entity_types: Sequence[str] = PARTY_ENTITY_TYPES
    ) -> NameIndex:
        """Index the party names of a canonical list table, always from scratch."""
        import pyarrow.compute as pc  # here only: a lookup over a built index never loads it

        keep = pc.or_kleene(
            pc.is_in(list_table["entity_type"], pa.array(list(entity_types))),
            pc.is_null(list_table["entity_type"]),
        )
        row_numbers = np.flatnonzero(np.asarray(pc.fill_null(keep, False)))
        names = list_table["name"].take(pa.array(row_numbers)).to_pylist()
        row_list, name_list = _with_short_forms(row_numbers.tolist(), names)
        normalised = normalise_names(name_list, may_be_cut=False)
        # a key is the name core with its legal forms: "RASSVET, OAO" and "LLC RASSVET" are
        # scored apart, so a legal-form conflict is judged against the right entry
        by_key: dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]] = defaultdict(list)
        first: dict[tuple[tuple[str, ...], tuple[str, ...]], NormalisedName] = {}
        for row, norm in zip(row_list, normalised, strict=True):
            if not norm.tokens:
                continue
            group = index_key(norm)
            by_key[group].append(row)
            first.setdefault(group, norm)
        keys = [first[k] for k in by_key]
        key_rows = [np.array(v, dtype=np.int64) for v in by_key.values()]

        vocab: dict[str, int] = {}
        indptr, indices = [0], []
        for key in keys:
            ids = {vocab.setdefault(t, len(vocab)) for t in key.tokens}
            indices.extend(sorted(ids))
            indptr.append(len(indices))
        n_keys, n_vocab = len(keys), len(vocab)
        key_matrix = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(n_keys, n_vocab)
        )
        df = np.asarray(key_matrix.sum(axis=0)).ravel()
        idf = np.log((n_keys + 1) / (df + 1)) + 1.0
        tokens = [""] * n_vocab
        for token, i in vocab.items():
            tokens[i] = token
        generic = np.zeros(n_vocab, dtype=bool)
        for key in keys:
            for t in key.generic_tokens:
                generic[vocab[t]] = True
        weights = np.where(generic, idf * GENERIC_WEIGHT_FACTOR, idf).astype(np.float32)
        blocking = (~generic) & (df <= MAX_CANDIDATE_DF)
        key_weight = np.asarray(key_matrix @ weights).ravel()

        identifier_keys: dict[tuple[str, str], list[int]] = defaultdict(list)
        if "identifiers" in list_table.column_names:
            ids_col = list_table["identifiers"].to_pylist()
            for key_id, rows in enumerate(key_rows):
                for row in rows.tolist():
                    for ident in ids_col[row] or []:
                        identifier_keys[(ident["scheme"], ident["value"])].append(key_id)

        kinds = np.asarray(list_table["name_kind"].to_pylist(), dtype=object)
        key_is_weak = np.array(
            [bool(np.all(kinds[rows] == "weak_alias")) for rows in key_rows], dtype=bool
        )
        types = np.asarray(list_table["entity_type"].to_pylist(), dtype=object)
        untyped = _untyped_rows(list_table)
        key_is_person = np.array(
            [
                bool(np.all(types[rows] == "individual"))
                or (bool(np.all(untyped[rows])) and looks_personal(key))
                for key, rows in zip(keys, key_rows, strict=True)
            ],
            dtype=bool,
        )
        countries_col = (
            list_table["countries"].to_pylist()
            if "countries" in list_table.column_names
            else [None] * list_table.num_rows
        )
        key_countries = [
            frozenset(
                c for row in rows.tolist() for c in (countries_col[row] or []) if c and c != "None"
            )
            for rows in key_rows
        ]
        as_written = set(names)  # the short forms add no word the lists write
        known_words = KnownWords(
            raw=frozenset(
                w for norm in normalised if norm.original in as_written for w in norm.words
            )
            | _vocabulary_words(),
            folded=frozenset(vocab),
        )
        buckets: dict[str, list[str]] = defaultdict(list)
        for token in tokens:
            if len(token) >= MIN_FUZZY_TOKEN_LEN - 1:
                for bucket in _buckets_of(token):
                    buckets[bucket].append(token)
        return cls(
            list_table=list_table,
            keys=keys,
            key_rows=key_rows,
            vocab=vocab,
            tokens=tokens,
            weights=weights,
            blocking=blocking,
            generic=generic,
            key_matrix=key_matrix,
            key_weight=key_weight,
            identifier_keys=dict(identifier_keys),
            key_is_weak=key_is_weak,
            key_is_person=key_is_person,
            key_countries=key_countries,
            known_words=known_words,
            sorted_keys=_sorted_keys(keys),
            abbreviation_targets=AbbreviationTargets.build(tokens, df),
            distinctive_keys=[distinctive_key(k) for k in keys],
            respaced_keys=keys_by_letters(keys),
            _buckets={
                k: (v, np.array([vocab[t] for t in v], dtype=np.int64)) for k, v in buckets.items()
            },
        )

    def with_word_rarity_of(self, reference: NameIndex) -> NameIndex:
        """This index with word weights learnt from ``reference`` wherever it knows the word:
        a handful of names to compare cannot tell a rare word from a common one, the lists can.
        """
        weights = self.weights.copy()
        for token, i in self.vocab.items():
            j = reference.vocab.get(token)
            if j is not None:
                weights[i] = reference.weights[j]
        known = KnownWords(
            raw=self.known_words.raw | reference.known_words.raw,
            folded=self.known_words.folded | reference.known_words.folded,
        )
        return dataclasses.replace(
            self,
            weights=weights,
            key_weight=np.asarray(self.key_matrix @ weights).ravel(),
            known_words=known,
            abbreviation_targets=reference.abbreviation_targets,
            unseen_weight=reference.unseen_token_weight,
        )

    def _bucket_similarities(
        self, tokens: Sequence[str], cutoff: float, workers: int
    ) -> Iterator[tuple[list[str], list[str], np.ndarray, np.ndarray]]:
        """Per spelling bucket the tokens fall in: (the tokens, the bucket's list words, their
        vocabulary ids, OSA similarities at least ``cutoff``, tokens x list words). Words are
        only compared within a bucket (_buckets_of), never with the whole vocabulary."""
        by_bucket: dict[str, list[str]] = defaultdict(list)
        for token in tokens:
            for bucket in _buckets_of(token):
                by_bucket[bucket].append(token)
        for bucket, group in sorted(by_bucket.items()):
            if bucket not in self._buckets:
                continue
            choices, ids = self._buckets[bucket]
            scores = process.cdist(
                group,
                choices,
                scorer=OSA.normalized_similarity,
                score_cutoff=cutoff - 1e-6,
                workers=workers,
                dtype=np.float32,
            )
            yield group, choices, ids, scores

    def _closest_spellings(
        self, unseen: Sequence[str], *, workers: int
    ) -> dict[str, list[tuple[str, float]] | None]:
        """Per word the lists do not know: the list words equally closest to it in spelling,
        with their similarity (slip_similarity), or None when none is close enough."""
        found: dict[str, dict[str, float]] = defaultdict(dict)
        # 1 edit in 5 letters is 0.8
        for group, choices, _, scores in self._bucket_similarities(
            unseen, LONG_FUZZY_TOKEN_CUTOFF, workers
        ):
            lengths = None
            for token, row in zip(group, scores, strict=True):
                best = float(row.max())
                if best < FUZZY_TOKEN_CUTOFF - 1e-6 and best >= _fuzzy_cutoff(token) - 1e-6:
                    # two edits only as slips within the word, not a word it begins (cut)
                    if lengths is None:
                        lengths = np.fromiter(map(len, choices), dtype=np.int64, count=len(choices))
                    row = np.where(np.abs(lengths - len(token)) <= 1, row, 0.0)
                    best = float(row.max())
                if best < _fuzzy_cutoff(token) - 1e-6:
                    continue
                for j in np.flatnonzero(row >= best - 1e-6)[:MAX_FUZZY_ALTERNATIVES].tolist():
                    found[token][choices[j]] = best
        closest: dict[str, list[tuple[str, float]] | None] = dict.fromkeys(unseen)
        for token, alternatives in found.items():
            best = max(alternatives.values())
            closest[token] = sorted(
                (
                    (t, slip_similarity(token, t, s))
                    for t, s in alternatives.items()
                    if s >= best - 1e-6
                ),
                key=lambda ts: ts[0],
            )[:MAX_FUZZY_ALTERNATIVES]
        return closest

    _MEMOS = (
        "_spelling_cache",
        "_reading_cache",
        "_entry_columns",
        "_whole_name_tokens",
        "_exact_keys",
        "_cut_key_lengths",
        "_cut_key_first_words",
    )
    """What matching keeps on the index from batch to batch (derived, never pickled)."""

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in self._MEMOS}

    def entry_columns(self) -> tuple[list[str], list[str], list[str]]:
        """The list table's list_source, source_id and name as Python lists, read once per
        index: every batch of a bulk run reports its hits from them."""
        columns = self.__dict__.get("_entry_columns")
        if columns is None:
            columns = self.__dict__["_entry_columns"] = tuple(
                self.list_table[c].to_pylist() for c in ("list_source", "source_id", "name")
            )
        return columns

    def _rare_word_weight(self) -> float:
        """The weight of a word on at most RARE_WORD_DF list names."""
        n_keys = self.key_matrix.shape[0]
        return float(np.log((n_keys + 1) / (RARE_WORD_DF + 1)) + 1.0)

    @property
    def unseen_token_weight(self) -> float:
        """Weight of a query word absent from every list name: as rare as the rarest."""
        if self.unseen_weight is not None:
            return self.unseen_weight
        return float(self.weights.max()) if len(self.weights) else 1.0

    def map_tokens(self, queries: Sequence[NormalisedName], *, workers: int = -1) -> TokenMapping:
        """Map each query token to vocabulary ids: exact, else its closest spelling (typos)."""
        tokens = {t for q in queries for t in q.tokens}
        unseen = {t for t in tokens if t not in self.vocab and len(t) >= MIN_FUZZY_TOKEN_LEN}
        # a word's closest spellings depend on the word and the lists alone: bulk traffic
        # repeats its unknown words from batch to batch, each is searched once per index
        known: dict[str, list[tuple[str, float]] | None] = (
            self.__dict__.setdefault("_spelling_cache", {}) if normalise.SHORTCUTS else {}
        )
        if len(known) > MAX_KEPT_SPELLINGS:  # (a long-lived process: memory stays bounded)
            known.clear()
        known.update(self._closest_spellings(sorted(unseen - known.keys()), workers=workers))
        fuzzy: FuzzyMap = {
            t: alternatives for t in sorted(unseen) if (alternatives := known[t]) is not None
        }
        # the other readings of a word (an abbreviation, a slip onto a list word, the other
        # number) depend on the word and the lists alone too: each is worked out once per
        # index, in the order below (a word read one way is not read the next)
        kept: dict[str, tuple[int, list[tuple[str, float]]] | None] = (
            self.__dict__.setdefault("_reading_cache", {}) if normalise.SHORTCUTS else {}
        )
        if len(kept) > MAX_KEPT_SPELLINGS:
            kept.clear()
        kept.update(self._other_readings(sorted(tokens - fuzzy.keys() - kept.keys()), workers))
        found = sorted(
            (reading[0], t, reading[1])
            for t in tokens
            if t not in fuzzy and (reading := kept[t]) is not None
        )
        fuzzy.update((t, alternatives) for _, t, alternatives in found)
        vocab_ids: list[list[int]] = []
        sims: list[list[float]] = []
        totals: list[float] = []
        unseen_weight = self.unseen_token_weight
        weights: list[float] = self.weights.tolist()  # (Python floats: read per word below)
        for q in queries:
            ids, ss = [], []
            total = 0.0
            for t in dict.fromkeys(q.tokens):
                if t in self.vocab:
                    ids.append(self.vocab[t])
                    ss.append(1.0)
                    weight = weights[self.vocab[t]]
                    for alt, score in fuzzy.get(t, []):  # a listed abbreviation (SHPG)
                        ids.append(self.vocab[alt])
                        ss.append(score)
                        weight = min(weight, weights[self.vocab[alt]])
                    total += weight
                elif t in fuzzy:
                    alt_ids = [self.vocab[alt] for alt, _ in fuzzy[t]]
                    ids.extend(alt_ids)
                    ss.extend(score for _, score in fuzzy[t])
                    total += max(weights[i] for i in alt_ids)
                else:  # as rare as the rarest list word; a generic word stays light
                    total += unseen_weight * (
                        GENERIC_WEIGHT_FACTOR if t in q.generic_tokens else 1.0
                    )
            vocab_ids.append(ids)
            sims.append(ss)
            totals.append(total)
        return TokenMapping(
            vocab_ids=vocab_ids, similarities=sims, fuzzy_pairs=fuzzy, totals=np.array(totals)
        )

    def _other_readings(
        self, tokens: Sequence[str], workers: int
    ) -> dict[str, tuple[int, list[tuple[str, float]]] | None]:
        """Per word (none of them read as a closest spelling): (0, the list words it may
        abbreviate), else (1, the list words a slip of it may be), else (2, the list word in
        the other number), else None."""
        abbreviations = self._abbreviation_readings(tokens)
        slips = self._slips_onto_list_words(tokens, abbreviations, workers)
        plurals = self._plural_readings(tokens, {**abbreviations, **slips})
        out: dict[str, tuple[int, list[tuple[str, float]]] | None] = dict.fromkeys(tokens)
        for kind, found in enumerate((abbreviations, slips, plurals)):
            for token, alternatives in found.items():
                out[token] = (kind, alternatives)
        return out

    def _abbreviation_readings(self, tokens: Sequence[str]) -> FuzzyMap:
        """The list words each word may abbreviate (AVN: AVIATION, SHPG: SHIPPING)."""
        rare = self._rare_word_weight()
        maybe_abbreviated = sorted(
            {
                t
                for t in tokens
                if t.isalpha()
                and (
                    t not in self.vocab
                    or _skeleton_like(t)  # SHPG may be a list word too
                    or (len(t) <= MAX_RARE_ABBREVIATION_LEN and self.weights[self.vocab[t]] >= rare)
                )
            }
        )
        out: FuzzyMap = {}
        for token in maybe_abbreviated:
            listed = self.vocab.get(token)
            found_words = [
                w
                for w in self.abbreviation_targets.expansions(token)
                if w in self.vocab  # (targets learnt from reference lists: words of these names)
                and (
                    listed is None
                    or _skeleton_like(token)
                    or self.weights[self.vocab[w]] + ABBREVIATION_COMMONER <= self.weights[listed]
                )
            ]
            if found_words:
                out[token] = [(w, settings.abbreviation_similarity) for w in found_words]
        return out

    def _plural_readings(self, tokens: Sequence[str], fuzzy: FuzzyMap) -> FuzzyMap:
        """A list word with or without a plural S (URAL WORKS / URALS WORKS): the folds merge
        the plurals of common words, not those of names, so the other number is read too."""
        out: FuzzyMap = {}
        for t in sorted(set(tokens)):
            if t in fuzzy or t not in self.vocab or len(t) < MIN_FUZZY_TOKEN_LEN or not t.isalpha():
                continue
            other = t[:-1] if t.endswith("s") else t + "s"
            if other in self.vocab and not self.generic[self.vocab[other]]:
                out[t] = [(other, PLURAL_SIMILARITY)]
        return out

    def _slips_onto_list_words(
        self, tokens: Sequence[str], fuzzy: FuzzyMap, workers: int
    ) -> FuzzyMap:
        """A typing slip may land on another list word: REALY is a name on one list entry,
        and a slip of REALTY. A query word on only one list name (not read otherwise) also
        reads as the list words one slip from it that are no rarer (the word itself still
        counts as written)."""
        single = float(np.log((self.key_matrix.shape[0] + 1) / 2) + 1.0)
        listed = sorted(
            {
                t
                for t in tokens
                if t in self.vocab
                and t not in fuzzy
                and len(t) >= MIN_FUZZY_TOKEN_LEN
                and not t.isdigit()
                and self.weights[self.vocab[t]] >= single - 1e-6
            }
        )
        found: dict[str, dict[str, float]] = defaultdict(dict)
        for group, choices, ids, scores in self._bucket_similarities(
            listed, FUZZY_TOKEN_CUTOFF, workers
        ):
            for token, row in zip(group, scores, strict=True):
                own = self.weights[self.vocab[token]]
                row = np.where((ids == self.vocab[token]) | (self.weights[ids] > own), 0.0, row)
                best = float(row.max()) if len(row) else 0.0
                if best < FUZZY_TOKEN_CUTOFF - 1e-6:
                    continue
                for j in np.flatnonzero(row >= best - 1e-6)[:MAX_FUZZY_ALTERNATIVES].tolist():
                    found[token][choices[j]] = best
        out: FuzzyMap = {}
        for token, alternatives in found.items():
            best = max(alternatives.values())
            out[token] = sorted(
                (slip for slip in alternatives.items() if slip[1] >= best - 1e-6),
                key=lambda ts: ts[0],
            )[:MAX_FUZZY_ALTERNATIVES]
            out[token] = [(t, slip_similarity(token, t, s)) for t, s in out[token]]
        return out

    def query_matrices(
        self, queries: Sequence[NormalisedName], mapping: TokenMapping
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
        """(blocking matrix, weighted matrix, total query weight) for a batch of queries."""
        n_vocab = len(self.vocab)
        indptr, indices, values = [0], [], []
        for ids, ss in zip(mapping.vocab_ids, mapping.similarities, strict=True):
            seen: dict[int, float] = {}
            for i, s in zip(ids, ss, strict=True):
                seen[i] = max(seen.get(i, 0.0), s)
            indices.extend(seen)
            values.extend(seen.values())
            indptr.append(len(indices))
        sim = sparse.csr_matrix(
            (np.array(values, dtype=np.float32), np.array(indices, dtype=np.int64), indptr),
            shape=(len(queries), n_vocab),
        )
        weighted = sim.multiply(self.weights[np.newaxis, :]).tocsr()
        blocking = sim.multiply((self.weights * self.blocking)[np.newaxis, :]).tocsr()
        blocking = self._rarest_word_fallback(sim, blocking)
        return blocking, weighted, mapping.totals

    def _rarest_word_fallback(
        self, sim: sparse.csr_matrix, blocking: sparse.csr_matrix
    ) -> sparse.csr_matrix:
        """A name whose distinctive words are all common on the lists (ABU TRADE) still gets
        candidates through its rarest non-generic word; a name of generic words only gets none."""
        blocking.eliminate_zeros()
        empty = np.flatnonzero(np.diff(blocking.indptr) == 0)
        if len(empty) == 0:
            return blocking
        rows, cols, vals = [], [], []
        for qi in empty.tolist():
            ids = sim.indices[sim.indptr[qi] : sim.indptr[qi + 1]]
            distinctive = [i for i in ids.tolist() if not self.generic[i]]
            if distinctive:
                rarest = max(distinctive, key=lambda i: self.weights[i])
                rows.append(qi)
                cols.append(rarest)
                vals.append(float(self.weights[rarest]))
        if not rows:
            return blocking
        extra = sparse.csr_matrix((vals, (rows, cols)), shape=blocking.shape, dtype=np.float32)
        return (blocking + extra).tocsr()

    def exact_candidates(self, queries: Sequence[NormalisedName]) -> tuple[np.ndarray, np.ndarray]:
        """(query row, key id) pairs with the same words: a name of generic words only (WORLD
        EQUIPMENT TRADING) opens no candidate through rare words, but is still a listed name."""
        q_rows: list[int] = []
        k_ids: list[int] = []
        # (a table of every key pays for its building over a batch, not for a single name)
        by_key = (
            self._key_ids_by_key()
            if normalise.SHORTCUTS and len(queries) >= PER_KEY_TABLES_MIN_QUERIES
            else None
        )
        for qi, query in enumerate(queries):
            if query.key:
                found = (
                    by_key.get(query.key, [])
                    if by_key is not None
                    else self._key_ids_between(query.key, query.key)
                )
                q_rows.extend([qi] * len(found))
                k_ids.extend(found)
        return np.array(q_rows, dtype=np.int64), np.array(k_ids, dtype=np.int64)

    def _key_ids_by_key(self) -> dict[str, list[int]]:
        """The key ids by key string, in sorted_keys order: _key_ids_between(key, key) as one
        look-up (built once per index and process)."""
        by_key = self.__dict__.get("_exact_keys")
        if by_key is None:
            strings, ids = self.sorted_keys
            by_key = {}
            for string, key_id in zip(strings, ids.tolist(), strict=True):
                by_key.setdefault(string, []).append(key_id)
            self.__dict__["_exact_keys"] = by_key
        return by_key

    def prefix_candidates(
        self, queries: Sequence[NormalisedName], rows: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(query row, key id) pairs where the list name begins with the query's words, the
        last one possibly cut (``LLC ZHEMCHUZH`` -> ``ZHEMCHUZHINA ...``): candidates for names
        a vendor's field width cut short, whose lost words the token index cannot see."""
        q_rows: list[int] = []
        k_ids: list[int] = []
        for qi in rows:
            found: set[int] = set()
            for tokens in {queries[qi].tokens, queries[qi].as_written_core} - {()}:
                cut_last = fold_token(tokens[-1], force=True)
                for prefix in dict.fromkeys((" ".join(tokens), " ".join((*tokens[:-1], cut_last)))):
                    found.update(
                        self._key_ids_between(
                            prefix, prefix + _AFTER_EVERY_CHAR, MAX_PREFIX_CANDIDATES
                        )
                    )
            q_rows.extend([qi] * len(found))
            k_ids.extend(sorted(found))
        return np.array(q_rows, dtype=np.int64), np.array(k_ids, dtype=np.int64)

    def _key_ids_between(self, low: str, high: str, limit: int | None = None) -> list[int]:
        """Ids of the keys whose string sorts from ``low`` to ``high`` inclusive, the first
        ``limit`` of them."""
        strings, ids = self.sorted_keys
        start = bisect.bisect_left(strings, low)
        end = bisect.bisect_right(strings, high)
        if limit is not None:
            end = min(end, start + limit)
        return ids[start:end].tolist()

    def candidates(
        self, blocking: sparse.csr_matrix, *, max_candidates: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, key id, rare weight shared) for the pairs sharing rare-token weight, at
        most max_candidates per row. The rare weight shared bounds the words' overlap from
        above (rare_weight_bound), before it is computed."""
        shared = (blocking @ self.key_matrix.T).tocsr()
        counts = np.diff(shared.indptr)
        over = np.flatnonzero(counts > max_candidates)
        q_rows = np.repeat(np.arange(shared.shape[0], dtype=np.int64), counts)
        k_ids = shared.indices.astype(np.int64)
        values = shared.data.astype(np.float64)
        if len(over) == 0:
            return q_rows, k_ids, values
        # among keys sharing the same rare words, the shorter (closer) ones come first
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        done = 0
        for qi in over.tolist():
            start, end = shared.indptr[qi], shared.indptr[qi + 1]
            parts.append((q_rows[done:start], k_ids[done:start], values[done:start]))
            cols = k_ids[start:end]
            vals = shared.data[start:end] / np.sqrt(self.key_weight[cols])
            chosen = np.argpartition(-vals, max_candidates)[:max_candidates]
            parts.append((q_rows[start:end][chosen], cols[chosen], values[start:end][chosen]))
            done = end
        parts.append((q_rows[done:], k_ids[done:], values[done:]))
        return tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))  # type: ignore[return-value]

    @staticmethod
    def rare_weight_bound(blocking: sparse.csr_matrix, weighted: sparse.csr_matrix) -> np.ndarray:
        """Per query, the weight of its words that open no candidate (generic or common ones,
        the rarest-word fallback aside): a pair's word overlap is at most the rare weight it
        shares (candidates) plus this, since a rare word's blocking value is at least its
        weighted one."""
        opening = blocking.copy()
        opening.data = (opening.data != 0).astype(np.float32)
        everything = np.asarray(weighted.sum(axis=1), dtype=np.float64).ravel()
        rare = np.asarray(weighted.multiply(opening).sum(axis=1), dtype=np.float64).ravel()
        return np.maximum(everything - rare, 0.0)


MIN_ABBREVIATION_TARGET_DF = 5
"""A word on fewer list names is not what customs abbreviations stand for."""
MAX_ABBREVIATION_EXPANSIONS = 1


MAX_SKELETON_LEN = 5
MAX_RARE_ABBREVIATION_LEN = 6
RARE_WORD_DF = 3
ABBREVIATION_COMMONER = float(np.log(5))
"""A word some list names write (DEVT, INDS, TECHS) is read as the abbreviation of a list word
only if it is rare (on at most RARE_WORD_DF names) and that word at least 5 times commoner."""


def _skeleton_like(word: str) -> bool:
    """A short word of consonants (SHPG, HLDG, TRDG): an abbreviation, even if some list
    name writes it so."""
    return 3 <= len(word) <= MAX_SKELETON_LEN and sum(c in "aeiou" for c in word) == 0


def _plural_abbreviation(short: str) -> bool:
    """An abbreviation with the plural's S on it (TECHS, INSTRS, SVCS): what is left before
    the S is at least min_abbreviation_len letters."""
    return short.endswith("s") and len(short) > settings.min_abbreviation_len


def is_abbreviation(short: str, word: str) -> bool:
    """``short`` stands for ``word``: its start (LOGIST, ARMOR), or its consonant skeleton,
    the letters in order from the same first letter (AVN: AVIATION, HLD: HOLDING, SHPG:
    SHIPPING)."""
    if (
        _plural_abbreviation(short)
        and not word.startswith(short)
        and is_abbreviation(short[:-1], word)
    ):
        # TECHS: TECHNOLOGIES, INSTRS: INSTRUMENTS, SVCS: SERVICES; an S the list word itself
        # has next is no plural (YATAS, a slip of YATASH, is not YATA + S)
        return True
    if len(word) < len(short) + 2 or short[0] != word[0]:
        return False
    if word.startswith(short):
        return True
    if sum(c in "aeiou" for c in short) > 1:
        return False
    rest = iter(word[1:])
    return all(c in rest for c in short[1:])


MAX_ABBREVIATION_LEN = 8
SMALL_INDEX_WORDS = 1000


@dataclass(frozen=True)
class AbbreviationTargets:
    """The list words a short unknown word may abbreviate, by first letter, the words on most
    list names first: customs abbreviations stand for the common words of names, and read
    against the lists' own words they go beyond any fixed table."""

    by_letter: dict[str, str]
    """first letter -> the target words, one a line, most used first (searched by regex)"""

    @classmethod
    def build(cls, tokens: Sequence[str], df: np.ndarray) -> AbbreviationTargets:
        order = sorted(range(len(tokens)), key=lambda i: (-int(df[i]), tokens[i]))
        # a handful of names (a pair file) cannot tell common words: every word is a target
        min_df = MIN_ABBREVIATION_TARGET_DF if len(tokens) >= SMALL_INDEX_WORDS else 1
        by_letter: dict[str, list[str]] = defaultdict(list)
        for i in order:
            token = tokens[i]
            if df[i] >= min_df and len(token) >= 5 and token.isalpha():
                by_letter[token[0]].append(token)
        return cls({letter: "\n".join(words) for letter, words in by_letter.items()})

    def expansions(self, short: str) -> list[str]:
        """The most used list word ``short`` may abbreviate (one: a second reading would
        weigh as a rare word of its own)."""
        if not settings.min_abbreviation_len <= len(short) <= MAX_ABBREVIATION_LEN:
            return []
        words = self.by_letter.get(short[0])
        if not words:
            return []
        found = _expansions_in(words, short)
        if not found and _plural_abbreviation(short):
            found = _expansions_in(words, short[:-1])  # TECHS: as TECH, TECHNOLOGIES
        return list(found)


@lru_cache(maxsize=1 << 16)
def _expansions_in(words: str, short: str) -> tuple[str, ...]:
    """The list words (one per line of ``words``) ``short`` abbreviates, first ones first.
    Bulk traffic repeats its short words, so each is looked up (and its pattern compiled) once;
    ``words`` is the same string object every call, whose hash Python keeps."""
    if normalise.SHORTCUTS:
        return _expansions_by_letters(words, short)
    skeleton = sum(c in "aeiou" for c in short) <= 1
    pattern = f"^{short}[a-z]{{2,}}$"
    if skeleton:
        pattern += "|^" + "[a-z]*".join(short) + "[a-z]*$"
    found: list[str] = []
    for match in re.finditer(pattern, words, flags=re.M):
        if is_abbreviation(short, match.group()):
            found.append(match.group())
            if _enough_prefixes(short, found):
                break
    return _prefixes_first(short, found)


def _enough_prefixes(short: str, found: list[str]) -> bool:
    return sum(w.startswith(short) for w in found) >= MAX_ABBREVIATION_EXPANSIONS


def _prefixes_first(short: str, found: list[str]) -> tuple[str, ...]:
    """The first MAX_ABBREVIATION_EXPANSIONS of the words ``short`` abbreviates, the words it
    begins before those it is only the consonant skeleton of (INSTR: INSTRUMENTS before
    INDUSTRIAL), each kind most used first."""
    ordered = [w for w in found if w.startswith(short)] + [
        w for w in found if not w.startswith(short)
    ]
    return tuple(ordered[:MAX_ABBREVIATION_EXPANSIONS])


def _expansions_by_letters(words: str, short: str) -> tuple[str, ...]:
    """_expansions_in without compiling a pattern per word (compiling is most of its cost):
    the words holding every letter of ``short`` and long enough, in order, checked with
    is_abbreviation, which is what the pattern and the check together accept (the target
    words are lowercase letters only)."""
    listed, masks, lengths = _letter_table(words)
    wanted = _letter_mask(short)
    found: list[str] = []
    fits = ((masks & wanted) == wanted) & (lengths >= len(short) + 2)
    for i in np.flatnonzero(fits).tolist():
        if is_abbreviation(short, listed[i]):
            found.append(listed[i])
            if _enough_prefixes(short, found):
                break
    return _prefixes_first(short, found)


@lru_cache(maxsize=64)
def _letter_table(words: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The words (one per line), each one's letter set as a bit mask, and their lengths."""
    listed = words.split("\n")
    masks = np.array([_letter_mask(w) for w in listed], dtype=np.int64)
    return listed, masks, np.array([len(w) for w in listed], dtype=np.int64)


def _letter_mask(word: str) -> int:
    """The letters of ``word`` as bits (a word holding every letter of another holds its
    bits; other characters share bits, which only lets more words through to the check)."""
    mask = 0
    for char in set(word):
        mask |= 1 << (ord(char) % 62)
    return mask


_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
_MANGLED_APOSTROPHE = re.compile(r"(?<=[^\W\d_])\?(?=[^\W\d_])")
"""XI?AN: an apostrophe an earlier encoding turned into "?" (the name is also kept as split)."""


def _with_short_forms(rows: list[int], names: list[str | None]) -> tuple[list[int], list[str]]:
    """Each list name, plus its parenthetical alternatives (parenthetical_alternatives) and
    with a mangled apostrophe dropped (XI?AN is traded as XIAN)."""
    out_rows: list[int] = []
    out_names: list[str] = []
    for row, name in zip(rows, names, strict=True):
        if not name:
            continue
        out_rows.append(row)
        out_names.append(name)
        for alternative in parenthetical_alternatives(name):
            out_rows.append(row)
            out_names.append(alternative)
        if (plain := honorific_free(name)) is not None:  # ... NAMED AFTER V.V. BAKHIREV
            out_rows.append(row)
            out_names.append(plain)
        if _MANGLED_APOSTROPHE.search(name):
            out_rows.append(row)
            out_names.append(_MANGLED_APOSTROPHE.sub("", name))
    return out_rows, out_names


_ALIAS_MARKERS = re.compile(r"^\s*(?:f\.?k\.?a\.?|a\.?k\.?a\.?|formerly|also|ex)\b[\s.:]*", re.I)
MIN_PARENTHETICAL_LEN = 3


def parenthetical_alternatives(name: str) -> list[str]:
    """Other names a name gives in parentheses, read on both sides of a match: the name without
    them ("Huawei Technologies Co., Ltd. (Huawei)" is traded as HUAWEI TECHNOLOGIES CO LTD),
    and each part that is itself a name: an acronym (CSSC) or the original-script name
    ("Kalashnikov Concern (Концерн Калашников)"); and any part that "f.k.a.", "formerly" and
    the like introduce, whatever its shape ("PSB Bank (formerly PROMSVYAZBANK)"): the writer
    says it is a name of the party. Other parts ("(Hong Kong)") are qualifiers many unrelated
    names share."""
    if "(" not in name:
        return []
    out = []
    short = _PARENTHETICAL.sub("", name).strip()
    if short and short != name:
        out.append(short)
    for written in re.findall(r"\(([^()]*)\)", name):
        part = _ALIAS_MARKERS.sub("", written).strip()
        named = part != written.strip()  # an alias marker introduced it
        if len(part) >= MIN_PARENTHETICAL_LEN and (
            named or _is_acronym(part, short) or _non_latin(part)
        ):
            out.append(part)
    return out


MAX_ACRONYM_LEN = 8


def _is_acronym(part: str, outside: str) -> bool:
    """One word in capitals (CSSC, KRET, IRGC) in a name written otherwise: an acronym, not a
    place or a qualifier such as (Hong Kong) that many unrelated names carry. In a name written
    all in capitals, as customs and many lists write them, a one-word part is as likely a city
    (SUZHOU, in NEWAY CNC EQUIPMENT (SUZHOU) CO LTD): there it counts as an acronym only when
    its letters are the initials of the outside words, in order (KAZAN VERTOLETNY ZAVOD (KVZ))."""
    letters = part.replace(".", "").replace("-", "")
    if not (letters.isalpha() and letters.isupper() and len(letters) <= MAX_ACRONYM_LEN):
        return False
    if " " in part:
        return False
    if any(c.islower() for c in outside):
        return True
    initials = iter(word[0] for word in re.findall(r"[^\W\d_]+", outside.upper()))
    return all(letter in initials for letter in letters)


def _non_latin(part: str) -> bool:
    """Written in another script: the original name (Концерн Калашников)."""
    letters = [c for c in part if c.isalpha()]
    return bool(letters) and not any(c.isascii() for c in letters)


def _sorted_keys(keys: Sequence[NormalisedName]) -> tuple[list[str], np.ndarray]:
    """Key strings, sorted, with their key ids; a key whose organisation words were translated
    is also found by its untranslated words (a name cut inside KONTSERN... or KHIMICH...)."""
    entries = [(key.key, k) for k, key in enumerate(keys)]
    entries += [
        (" ".join(key.as_written_core), k) for k, key in enumerate(keys) if key.as_written_core
    ]
    entries.sort()
    return [e for e, _ in entries], np.array([k for _, k in entries], dtype=np.int64)


def _vocabulary_words() -> frozenset[str]:
    """Abbreviations, legal-form and generic words: known even where no list name uses them."""
    vocab = load_vocabulary()
    words = set(vocab.abbreviations)
    words.update(w for expansion in vocab.abbreviations.values() for w in expansion)
    words.update(w for phrase in vocab.legal_forms for w in phrase)
    words.update(vocab.spelling_targets)
    return frozenset(words)


def slip_similarity(token: str, listed: str, similarity: float) -> float:
    """Spelling similarity of a typo'd word: one slip (a letter left out, doubled, swapped or
    mistyped) in a long word counts half an edit, as clerks make them in long names (VETRIKAL
    for VERTIKAL is closer than 7/8 of its letters say); otherwise the plain similarity."""
    if one_slip_apart(token, listed):
        return 1.0 - 0.5 / max(len(token), len(listed))
    return similarity


def one_slip_apart(a: str, b: str) -> bool:
    """Two long words one edit apart (a letter left out, doubled, swapped or mistyped)."""
    return min(len(a), len(b)) >= MIN_SLIP_WORD_LEN and OSA.distance(a, b, score_cutoff=1) <= 1


MIN_UNTYPED_LIST_ROWS = 100


def _untyped_rows(list_table: pa.Table) -> np.ndarray:
    """Per row: its list never says whether an entry is a person or a company (the BIS Entity
    List), and is a real list (a pair file of a few names is not)."""
    sources = list_table["list_source"].to_pylist()
    types = list_table["entity_type"].to_pylist()
    typed = {src for src, kind in zip(sources, types, strict=True) if kind is not None}
    counts: dict[str, int] = defaultdict(int)
    for src in sources:
        counts[src] += 1
    return np.array(
        [src not in typed and counts[src] >= MIN_UNTYPED_LIST_ROWS for src in sources],
        dtype=bool,
    )


PERSONAL_WORD_ZIPF = 3.0


def looks_personal(name: NormalisedName) -> bool:
    """Two or three words, no legal form and no generic word, each a word common in some
    language (ALI GUZEL, ALI SALIM): on a list that does not say which entries are people,
    read as a personal name (a coined company name such as NIKIMT ATOMSTROY is not)."""
    from screening.names.commonness import word_zipf

    return (
        not name.legal_forms
        and 2 <= len(name.tokens) <= 3
        and not name.generic_tokens
        and all(t.isalpha() and word_zipf(t) >= PERSONAL_WORD_ZIPF for t in name.tokens)
    )


def _is_country(code: str | None) -> bool:
    """A listed country code; some list rows carry the text "None" for a missing one."""
    return bool(code) and code != "None"


def distinctive_key(name: NormalisedName) -> str:
    """The name's distinctive words (generic words set aside), sorted, as one string."""
    return " ".join(sorted(set(name.tokens) - name.generic_tokens))


def index_key(name: NormalisedName) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What makes two list names one key: the same core words and the same legal forms."""
    return name.tokens, tuple(sorted(name.legal_forms))


def _buckets_of(token: str) -> tuple[str, str]:
    """Typo candidates share the first two or the last three letters (EECURITY ~ SECURITY)."""
    return ("^" + token[:2], "$" + token[-3:])


def token_idf(index: NameIndex, token: str) -> float:
    """Weight of a token in the index (for explanations)."""
    i = index.vocab.get(token)
    return float(index.weights[i]) if i is not None else index.unseen_token_weight


def describe_weight(weight: float) -> str:
    return "rare" if weight >= 6 else "common" if weight < 2 else "ordinary"


__all__ = [
    "FuzzyMap",
    "NameIndex",
    "TokenMapping",
    "describe_weight",
    "one_slip_apart",
    "token_idf",
]
