"""Labelled name pairs for the name-matching benchmark, built from real lists and the sampler.

Every builder returns a pandas DataFrame with at least ``query`` (the name that is screened),
``list_source`` and ``source_id`` (the listed entry the query refers to, or must NOT hit) and
``label`` (True = the query is that entry, False = it is another party). How each set is built,
and why, is in benchmarks/README.md. Nothing here uses the matcher under test: blocking for hard
negatives uses plain words and rapidfuzz, so the labels cannot lean towards our own scoring.

CC BY-NC data (the EU transcriptions, the vendor samples) is read from ../shared at run time and
never written anywhere.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process, utils

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DUALUSE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
EU_OJ_DIR = ("sanctions", "eu_opensanctions_oj")
EU_FILES = ("32014R0833.csv", "32014R0269.csv")
"""Reg. 833/2014 (Annex IV end users, financial annexes) and Reg. 269/2014 (asset freeze)."""
VENDOR_XLSX_DIR = ("trade", "vendor_samples_xlsx")

OFAC_SDN = "us_ofac_sdn"
PARTY_ENTITY_TYPES = ("entity", "individual")
RARE_WORD_MAX_DF = 30
"""A word on at most this many SDN entity names is rare enough to make a pair 'similar'."""
MIN_WORD_LEN = 3
EU_ENTITY_SCHEMAS = ("LegalEntity", "Company", "Organization")
EU_IDENTIFIER_COLUMNS = (
    "registrationNumber",
    "taxNumber",
    "innCode",
    "idNumber",
    "ogrnCode",
    "notes",
)
"""EU columns where OpenSanctions puts Russian INNs (often with a label: '7813183628 (Tax ID/INN)',
'INN/KPP 5008011331/771701001'); OGRNs are 13 digits and never match the INN pattern."""
_INN = re.compile(r"(?<!\d)(\d{10}|\d{12})(?!\d)")
PAIR_COLUMNS = ("query", "list_source", "source_id", "label")


def shared_file(*parts: str) -> Path | None:
    """A path under ../shared/data, or None when that data is not on this machine."""
    path = SHARED_DATA.joinpath(*parts)
    return path if path.exists() else None


def plain_words(name: str) -> list[str]:
    """Lower-case alphanumeric words (rapidfuzz's default processing), for blocking only."""
    return [w for w in utils.default_process(name).split() if len(w) >= MIN_WORD_LEN]


LEGAL_FORM_PHRASES = (
    "obshchestvo s ogranichennoi otvetstvennostyu",
    "otkrytoe aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo",
    "publichnoe aktsionernoe obshchestvo",
    "aktsionernoe obshchestvo",
    "limited liability company",
    "limited liability partnership",
    "public joint stock company",
    "closed joint stock company",
    "open joint stock company",
    "joint stock company",
    "private limited company",
    "sociedad anonima",
    "s de r l de c v",
    "s a de c v",
    "de c v",
    "s a r l",
    "s a s",
    "s r l",
    "s p a",
    "l l c",
    "l l p",
    "co ltd",
    "b v",
    "n v",
    "s a",
    "l p",
)
LEGAL_FORM_WORDS = frozenset(
    re.findall(
        r"\w+",
        "limited ltd llc llp lp inc incorporated corp corporation company co gmbh kg ag jsc "
        "ojsc cjsc pjsc ooo oao zao pao ao tov fze fzco fzc sarl sas srl spa bv nv pte plc sa "
        "lda private public",
    )
)
"""A small fixed list (not the matcher's) so hard negatives do not lean on the system tested."""
_LEGAL_PHRASE = re.compile(r"\b(?:" + "|".join(LEGAL_FORM_PHRASES) + r")\b")


def core_words(name: str) -> frozenset[str]:
    """The words of a name with legal forms removed (all words if nothing else is left)."""
    text = _LEGAL_PHRASE.sub(" ", " ".join(utils.default_process(name).split()))
    words = frozenset(w for w in text.split() if w not in LEGAL_FORM_WORDS)
    return words or frozenset(utils.default_process(name).split())


def party_rows(list_table: pa.Table) -> pd.DataFrame:
    """The list rows a trade party can be matched to (no vessels, no aircraft), as pandas."""
    keep = pc.fill_null(
        pc.or_kleene(
            pc.is_in(list_table["entity_type"], pa.array(list(PARTY_ENTITY_TYPES))),
            pc.is_null(list_table["entity_type"]),
        ),
        False,
    )
    cols = ["list_source", "source_id", "entity_type", "name", "name_kind"]
    return list_table.filter(keep).select(cols).to_pandas()


# --------------------------------------------------------------------------------------------
# a) OFAC primary name <-> its aliases, with hard negatives


@dataclass(frozen=True)
class AliasPairSet:
    """Pairs plus the list table to index: SDN entities keep only their primary name there."""

    pairs: pd.DataFrame
    """PAIR_COLUMNS + primary (the list-side name), kind, shares_rare_word"""
    index_table: pa.Table


def _rare_words(names: pd.Series) -> tuple[list[set[str]], dict[str, list[int]]]:
    """Per name its rare words, and per rare word the names (row positions) carrying it."""
    words = [set(plain_words(n)) for n in names]
    df = Counter(w for ws in words for w in ws)
    rare = [{w for w in ws if df[w] <= RARE_WORD_MAX_DF} for ws in words]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(rare):
        for w in ws:
            postings[w].append(i)
    return rare, postings


def _hard_negatives(
    entities: pd.DataFrame, primaries: pd.DataFrame, entity_cores: dict[str, list[frozenset[str]]]
) -> pd.DataFrame:
    """For each primary: the most similar name of *another* entity sharing a rare word with it.

    Similarity is rapidfuzz token_set_ratio. A name whose words, legal forms set aside, equal
    or nest with those of any name of the primary's entity ("X LIMITED" vs "X SARL", "BANK X" vs
    "BANK X HAMBURG BRANCH", an alias two entities share) is left out: a name alone cannot tell
    such parties apart and a screening tool should flag them, so they are not fair negatives.
    """
    names = entities.reset_index(drop=True)
    _, postings = _rare_words(names["name"])
    vocabulary = set(postings)
    p_rare = [set(plain_words(n)) & vocabulary for n in primaries["name"]]
    left, right = [], []
    ids = names["source_id"].to_numpy()
    for pi, (sid, words) in enumerate(zip(primaries["source_id"], p_rare, strict=True)):
        cands = {j for w in words for j in postings[w] if ids[j] != sid}
        left.extend([pi] * len(cands))
        right.extend(sorted(cands))
    if not left:
        return pd.DataFrame(columns=[*PAIR_COLUMNS, "primary", "kind", "similarity"])
    left_a, right_a = np.array(left), np.array(right)
    sim = process.cpdist(
        primaries["name"].to_numpy()[left_a],
        names["name"].to_numpy()[right_a],
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,
        workers=-1,
    )
    cand = pd.DataFrame({"p": left_a, "n": right_a, "sim": sim})
    p_cores = [entity_cores[sid] for sid in primaries["source_id"]]
    n_core = [core_words(n) for n in names["name"]]
    nested = np.array(
        [
            any(core <= n_core[n] or n_core[n] <= core for core in p_cores[p])
            for p, n in zip(cand["p"], cand["n"], strict=True)
        ],
        dtype=bool,
    )
    cand = cand[~nested].sort_values(["p", "sim", "n"], ascending=[True, False, True])
    best = cand.drop_duplicates("p")
    return pd.DataFrame(
        {
            "query": names["name"].to_numpy()[best["n"].to_numpy()],
            "list_source": OFAC_SDN,
            "source_id": primaries["source_id"].to_numpy()[best["p"].to_numpy()],
            "label": False,
            "primary": primaries["name"].to_numpy()[best["p"].to_numpy()],
            "kind": "hard_negative",
            "similarity": best["sim"].to_numpy(),
        }
    )


def ofac_alias_pairs(
    list_table: pa.Table, *, max_entities: int | None = None, seed: int = 0
) -> AliasPairSet:
    """Positives: an SDN entity's alias/former name vs its primary. Negatives: see above.

    The returned ``index_table`` is the full list table without the alias, former and weak
    alias rows of the SDN entities evaluated, so an alias query cannot find itself: it must
    reach its entity through the primary name, as a differently-written trade name would.
    """
    rows = party_rows(list_table)
    sdn = rows[(rows["list_source"] == OFAC_SDN) & (rows["entity_type"] == "entity")]
    primaries = sdn[sdn["name_kind"] == "primary"].drop_duplicates("source_id")
    if max_entities is not None and len(primaries) > max_entities:
        primaries = primaries.sample(max_entities, random_state=seed).sort_index()
    chosen = set(primaries["source_id"])
    aliases = sdn[sdn["name_kind"].isin(["alias", "former"]) & sdn["source_id"].isin(chosen)]
    positives = aliases.merge(
        primaries[["source_id", "name"]].rename(columns={"name": "primary"}), on="source_id"
    )
    positives = positives[
        positives["name"].map(utils.default_process)
        != positives["primary"].map(utils.default_process)
    ].drop_duplicates(["name", "source_id"])
    blockable = sdn[sdn["name_kind"] != "weak_alias"]
    _, postings = _rare_words(blockable["name"])
    rare_vocabulary = set(postings)
    positives = pd.DataFrame(
        {
            "query": positives["name"].to_numpy(),
            "list_source": OFAC_SDN,
            "source_id": positives["source_id"].to_numpy(),
            "label": True,
            "primary": positives["primary"].to_numpy(),
            "kind": positives["name_kind"].to_numpy(),
        }
    )
    entity_cores: dict[str, list[frozenset[str]]] = defaultdict(list)
    for sid, name in zip(sdn["source_id"], sdn["name"], strict=True):
        entity_cores[sid].append(core_words(name))
    negatives = _hard_negatives(blockable, primaries, entity_cores)
    pairs = pd.concat([positives, negatives], ignore_index=True)
    pairs["shares_rare_word"] = [
        bool(set(plain_words(q)) & set(plain_words(p)) & rare_vocabulary)
        for q, p in zip(pairs["query"], pairs["primary"], strict=True)
    ]
    drop = pc.and_(
        pc.and_(
            pc.equal(list_table["list_source"], OFAC_SDN),
            pc.is_in(list_table["source_id"], pa.array(sorted(chosen), pa.string())),
        ),
        pc.not_equal(list_table["name_kind"], "primary"),
    )
    index_table = list_table.filter(pc.invert(pc.fill_null(drop, False)))
    return AliasPairSet(pairs=pairs, index_table=index_table)


# --------------------------------------------------------------------------------------------
# b) EU transcriptions vs OFAC entries with the same Russian INN


def ofac_inn_owners(list_table: pa.Table) -> dict[str, set[str]]:
    """INN value -> SDN source_ids carrying it (entities and individuals)."""
    sdn = list_table.filter(pc.equal(list_table["list_source"], OFAC_SDN))
    owners: dict[str, set[str]] = defaultdict(set)
    for sid, idents in zip(
        sdn["source_id"].to_pylist(), sdn["identifiers"].to_pylist(), strict=True
    ):
        for ident in idents or []:
            if ident["scheme"] == "INN":
                owners[ident["value"].strip()].add(sid)
    return dict(owners)


def eu_inn_pairs(list_table: pa.Table, eu_files: Sequence[Path]) -> pd.DataFrame:
    """EU entity names (and their aliases) whose INN an SDN entry also carries.

    The INN only links the two records to make the label; the query is the EU name alone.
    Columns: PAIR_COLUMNS + query_kind (name / alias), eu_file, eu_record, inn.
    """
    owners = ofac_inn_owners(list_table)
    out: list[dict[str, object]] = []
    for path in eu_files:
        eu = pd.read_csv(path, dtype=str, keep_default_na=False)
        eu = eu[eu["schema"].isin(EU_ENTITY_SCHEMAS)]
        text = eu[list(EU_IDENTIFIER_COLUMNS)].agg(" ".join, axis=1)
        for (_, rec), ident_text in zip(eu.iterrows(), text, strict=True):
            inns = [v for v in dict.fromkeys(_INN.findall(ident_text)) if v in owners]
            if not inns:
                continue
            queries = [("name", rec["name"])] + [
                ("alias", a.strip()) for a in rec["alias"].split(";") if a.strip()
            ]
            for sid in sorted({s for v in inns for s in owners[v]}):
                for kind, query in queries:
                    out.append(
                        {
                            "query": query.strip(),
                            "list_source": OFAC_SDN,
                            "source_id": sid,
                            "label": True,
                            "query_kind": kind,
                            "eu_file": path.name,
                            "eu_record": rec["recordId"],
                            "inn": inns[0],
                        }
                    )
    columns = [*PAIR_COLUMNS, "query_kind", "eu_file", "eu_record", "inn"]
    pairs = pd.DataFrame(out, columns=columns)
    return pairs[pairs["query"] != ""].drop_duplicates(["query", "source_id"], ignore_index=True)


# --------------------------------------------------------------------------------------------
# c) customs-style variants from the sampler; speed query sets


def sampled_parties(
    list_table: pa.Table, *, n_rows: int, seed: int, listed_share: float = 0.03
) -> pd.DataFrame:
    """Distinct party names of a generated trade table with their truth (null = clean name).

    Columns: query, list_source, source_id, list_name, variant (the sampler's rewrite ops).
    """
    from dualuse_kit.sample import generate_trade_records

    table = generate_trade_records(
        n_rows, seed=seed, list_table=list_table, listed_share=listed_share, include_truth=True
    )
    frames = []
    for role, column in (("exporter", "EXPORTER_NAME"), ("importer", "IMPORTER_NAME")):
        frames.append(
            pd.DataFrame(
                {
                    "query": table[column].to_pandas(),
                    "list_source": table[f"truth_{role}_list_source"].to_pandas(),
                    "source_id": table[f"truth_{role}_source_id"].to_pandas(),
                    "list_name": table[f"truth_{role}_list_name"].to_pandas(),
                    "variant": table[f"truth_{role}_name_variant"].to_pandas(),
                }
            )
        )
    parties = pd.concat(frames, ignore_index=True).astype(object)
    parties = parties.where(parties.notna(), None)
    parties["query"] = parties["query"].str.strip()
    parties = parties[parties["query"].fillna("") != ""]
    return parties.drop_duplicates("query", ignore_index=True)


def customs_variant_pairs(
    list_table: pa.Table, *, n_rows: int, seed: int, listed_share: float = 0.03
) -> pd.DataFrame:
    """Listed-party variants (positives only): PAIR_COLUMNS + list_name, variant."""
    parties = sampled_parties(list_table, n_rows=n_rows, seed=seed, listed_share=listed_share)
    listed = parties[parties["source_id"].notna()].copy()
    listed["label"] = True
    return listed[[*PAIR_COLUMNS, "list_name", "variant"]].reset_index(drop=True)


def synthetic_query_set(
    list_table: pa.Table,
    n_unique: int,
    *,
    listed_fraction: float = 0.1,
    seed: int = 101,
    rows_per_round: int = 1_000_000,
) -> pd.DataFrame:
    """``n_unique`` distinct names: clean synthetic companies and listed variants, shuffled.

    Generated trade tables with successive seeds are pooled until both kinds suffice (one
    seed yields at most a few tens of thousands of distinct names). Same columns as
    sampled_parties; ``source_id`` is null for clean names.
    """
    want_listed = round(n_unique * listed_fraction)
    want_clean = n_unique - want_listed
    pool: list[pd.DataFrame] = []
    n_listed = n_clean = 0
    round_seed = seed
    rows = min(rows_per_round, max(5_000, n_unique * 6))
    while n_listed < want_listed or n_clean < want_clean:
        parties = sampled_parties(list_table, n_rows=rows, seed=round_seed, listed_share=0.05)
        pool.append(parties)
        merged = pd.concat(pool, ignore_index=True).drop_duplicates("query")
        n_listed = int(merged["source_id"].notna().sum())
        n_clean = len(merged) - n_listed
        round_seed += 1
        if round_seed - seed > 50:
            raise RuntimeError(f"could not draw {n_unique} distinct names in 50 rounds")
    rng = np.random.default_rng(seed)
    listed = merged[merged["source_id"].notna()]
    clean = merged[merged["source_id"].isna()]
    picked = pd.concat(
        [
            listed.iloc[rng.choice(len(listed), want_listed, replace=False)],
            clean.iloc[rng.choice(len(clean), want_clean, replace=False)],
        ]
    )
    return picked.iloc[rng.permutation(len(picked))].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# d) real vendor traffic


def vendor_party_names(paths: Iterable[Path]) -> list[str]:
    """Distinct non-empty exporter/importer names of real vendor files, via the loader."""
    from screening.io import load_trade_files

    table = load_trade_files(sorted(paths)).table
    names = {
        n.strip()
        for col in ("exporter", "importer")
        for n in table[col].to_pylist()
        if n and n.strip()
    }
    return sorted(names)


# --------------------------------------------------------------------------------------------
# d) curated company-name pairs from a public name-matching benchmark (vendored, MIT)


def peer_pair_scores(pairs: pd.DataFrame, scorer) -> np.ndarray:
    """A rapidfuzz peer's score for each row's name1 vs name2, as a user would call it (the
    default processor: lower case, punctuation dropped)."""
    scores = process.cpdist(
        pairs["name1"].tolist(),
        pairs["name2"].tolist(),
        scorer=scorer,
        processor=utils.default_process,
        workers=-1,
    )
    return np.asarray(scores, dtype=float)


CURATED_PAIRS = REPO_ROOT / "benchmarks" / "data" / "nomenklatura_name_bench_companies.csv"
"""The Company / Organization / LegalEntity rows of OpenSanctions nomenklatura's
contrib/name_bench/cases.csv (MIT; provenance in benchmarks/data/SOURCES.md)."""
SYNTHETIC_CASE_GROUPS = frozenset({"synth_companies"})
"""Case groups whose pairs were written as deviations (proposed by a language model) rather
than taken from matcher regression checks, unit tests and customer-reported cases."""


def curated_company_pairs(path: Path = CURATED_PAIRS) -> pd.DataFrame:
    """Labelled company-name pairs: name1, name2, label, schema, case_group, quality, origin.

    ``origin`` is ``real`` for pairs written by the benchmark's maintainers from matcher
    checks, unit tests and customer reports (nk_checks, nk_unit_tests, cust_cases), and
    ``synthetic`` for the language-model-proposed deviations (synth_companies). Nothing here
    was written by this project; the labels are the benchmark's own.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "name1": frame["name1"],
            "name2": frame["name2"],
            "label": frame["is_match"].str.lower() == "true",
            "schema": frame["schema"],
            "case_group": frame["case_group"],
            "quality": frame["quality"].replace("", "MEDIUM"),
            "origin": np.where(
                frame["case_group"].isin(SYNTHETIC_CASE_GROUPS), "synthetic", "real"
            ),
        }
    )
