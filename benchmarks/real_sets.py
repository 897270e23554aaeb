"""Labelled name-matching sets built from REAL list and trade data in ../shared (never generated).

Usage (a library; ``bench_real_names.py`` runs it)::

    from real_sets import reference_table, retrieval_sets, company_pairs
    ref = reference_table()              # OFAC SDN + non-SDN, CSL, UK, UN from ../shared
    for s in retrieval_sets(ref):        # queries with the list entries they must find
        ...
    pairs = company_pairs(ref)           # match / non-match name pairs for F1

Nothing here imports ``screening.names`` or its data files: the labels come from the lists'
own links (an alias and its primary are one OFAC entry; an EU record and an OFAC entry carry
the same Russian INN/OGRN; a translation sits under its entity in the OFAC enhanced XML), and
blocking uses plain words and rapidfuzz. List files are read with the project's list parsers
(``screening.lists``), which only turn files into rows. The one synthetic set (customs-style
variants of real list names) is distorted by ``distort.py``, which shares no table with the
matcher; it is labelled synthetic everywhere it is reported.

The data (some CC BY-NC, the vendor samples licensed) is read at run time and never copied into
the repository; parsed lists are cached under ``out/benchmarks/cache`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import distort
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rapidfuzz import fuzz, process, utils

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DUALUSE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
CACHE_DIR = REPO_ROOT / "out" / "benchmarks" / "cache"

REFERENCE_FILES = (
    ("sanctions", "us_ofac", "sdn_set_2023-12-28", "sdn.csv"),
    ("sanctions", "us_ofac", "enhanced_xml", "CONS_ENHANCED.XML"),
    ("sanctions", "us_trade_csl", "consolidated_2022-04.csv"),
    ("sanctions", "uk", "FCDO_SL_2025-08-11.ods"),
    ("sanctions", "un", "UN_consolidated_2026-02-27.xml"),
)
"""The lists screened against: OFAC SDN (with alt/add/comments), OFAC non-SDN (enhanced XML),
the trade.gov CSL (BIS Entity List, DPL, SSI, ...; its older SDN copy is dropped), UK FCDO, UN."""
EU_FILES = (
    ("sanctions", "eu_opensanctions_oj", "32014R0833.csv"),
    ("sanctions", "eu_opensanctions_oj", "32014R0269.csv"),
)
VENDOR_DIR = ("trade", "vendor_samples_xlsx")

OFAC_SDN = "us_ofac_sdn"
OFAC_NON_SDN = "us_ofac_non_sdn"
PARTY_TYPES = ("entity", "individual")
EU_ENTITY_SCHEMAS = ("LegalEntity", "Company", "Organization")
EU_ID_COLUMNS = ("registrationNumber", "taxNumber", "innCode", "idNumber", "ogrnCode", "notes")
_INN = re.compile(r"(?<!\d)(\d{10}|\d{12})(?!\d)")
_OGRN = re.compile(r"(?<!\d)(\d{13}|\d{15})(?!\d)")
LINK_SCHEMES = ("INN", "OGRN")
_NON_LATIN = re.compile(
    r"[\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u0e00-\u0e7f\u3040-\u9fff\uac00-\ud7af]"
)
_CYRILLIC = re.compile(r"[\u0400-\u052f]")
SEP = "\t"
"""entry keys are 'list_source<TAB>source_id'"""

_LEGAL_FORM_TEXT = (
    "limited ltd llc llp lp inc incorporated corp corporation company co gmbh kg ag jsc ojsc "
    "cjsc pjsc ooo oao zao pao ao tov fze fzco fzc sarl sas srl spa bv nv pte plc sa lda "
    "private public joint stock closed open liability oy ab as"
)
LEGAL_FORM_WORDS = frozenset(_LEGAL_FORM_TEXT.split())
"""A small fixed list written for labelling only (not the matcher's legal-form table)."""
MIN_WORD = 3


# --------------------------------------------------------------------------------------------
# data access


def shared_file(*parts: str) -> Path | None:
    """A path under ../shared/data, or None when that data is not on this machine."""
    path = SHARED_DATA.joinpath(*parts)
    return path if path.exists() else None


def have_shared_data() -> bool:
    return all(shared_file(*p) for p in REFERENCE_FILES)


def _parse(path: Path) -> pa.Table:
    from screening.lists import parse_list_files

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_list_files([path])


def _cached(paths: list[Path], tag: str, build) -> pa.Table:
    stamp = hashlib.sha256(
        "|".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths).encode()
    ).hexdigest()[:16]
    cache = CACHE_DIR / f"{tag}-{stamp}.parquet"
    if cache.exists():
        return pq.read_table(cache)
    table = build()
    cache.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, cache)
    return table


def reference_table() -> pa.Table:
    """The screened lists (REFERENCE_FILES) as one LIST_ENTRY_SCHEMA table, cached."""
    paths = [SHARED_DATA.joinpath(*p) for p in REFERENCE_FILES]

    def build() -> pa.Table:
        tables = []
        for path in paths:
            table = _parse(path)
            if path.name.startswith("consolidated"):
                # the CSL's SDN rows are an older copy of the SDN file parsed above
                table = table.filter(pc.not_equal(table["list_source"], OFAC_SDN))
            tables.append(table)
        return pa.concat_tables(tables, promote_options="default")

    return _cached(paths, "reference", build)


def eu_table() -> pa.Table:
    """The EU 833/2014 and 269/2014 transcriptions, parsed by the project's parser."""
    paths = [SHARED_DATA.joinpath(*p) for p in EU_FILES]
    return _cached(
        paths, "eu", lambda: pa.concat_tables([_parse(p) for p in paths], promote_options="default")
    )


def party_frame(table: pa.Table) -> pd.DataFrame:
    """Rows a trade party can be matched to (no vessels or aircraft), with ``entry`` keys."""
    frame = table.select(
        ["list_source", "source_id", "entity_type", "name", "name_kind", "countries", "identifiers"]
    ).to_pandas()
    frame = frame[frame["entity_type"].isin(PARTY_TYPES) | frame["entity_type"].isna()]
    frame = frame[frame["name"].notna() & ~frame["name"].isin(["", "nan"])].copy()
    frame["entry"] = frame["list_source"] + SEP + frame["source_id"]
    return frame


def first_country(countries: Iterable[str | None] | None) -> str | None:
    """The first ISO-2 code of a list entry's countries (the parsers may leave 'nan')."""
    for code in countries if countries is not None else ():
        if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper():
            return code
    return None


def entry_countries(frame: pd.DataFrame) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for entry, countries in zip(frame["entry"], frame["countries"], strict=True):
        if out.get(entry) is None:
            out[entry] = first_country(countries)
    return out


def identifier_owners(frame: pd.DataFrame, schemes: tuple[str, ...] = LINK_SCHEMES) -> dict:
    """Identifier value ('INN:7707083893') -> list entries carrying it."""
    owners: dict[str, set[str]] = defaultdict(set)
    for entry, idents in zip(frame["entry"], frame["identifiers"], strict=True):
        for ident in idents if idents is not None else ():
            if ident["scheme"] in schemes and ident["value"]:
                owners[f"{ident['scheme']}:{ident['value'].strip()}"].add(entry)
    return owners


def plain(name: str) -> str:
    """rapidfuzz's default processing: lower case, punctuation to spaces."""
    return " ".join(utils.default_process(name).split())


def core_words(name: str) -> frozenset[str]:
    """Words of a name without legal-form words (all words if nothing else is left)."""
    words = plain(name).split()
    core = frozenset(w for w in words if w not in LEGAL_FORM_WORDS)
    return core or frozenset(words)


def legal_words(name: str) -> frozenset[str]:
    return frozenset(w for w in plain(name).split() if w in LEGAL_FORM_WORDS)


def is_non_latin(name: str) -> bool:
    return bool(_NON_LATIN.search(name))


def _without(table: pa.Table, frame_rows: pd.DataFrame) -> pa.Table:
    """``table`` without the rows (list_source, source_id, name) listed in ``frame_rows``."""
    drop = set(
        zip(frame_rows["list_source"], frame_rows["source_id"], frame_rows["name"], strict=True)
    )
    keep = [
        (s, i, n) not in drop
        for s, i, n in zip(
            table["list_source"].to_pylist(),
            table["source_id"].to_pylist(),
            table["name"].to_pylist(),
            strict=True,
        )
    ]
    return table.filter(pa.array(keep))


# --------------------------------------------------------------------------------------------
# retrieval sets: a query name (and the party's country) and the entries it must find


@dataclass
class RetrievalSet:
    """Queries screened against ``index_table``; a query is found when an expected entry is
    among its top hits at the threshold."""

    name: str
    data: str
    """'real' or 'synthetic'"""
    description: str
    queries: pd.DataFrame = field(repr=False)
    """query, country (ISO-2 or None), expected (tuple of entry keys), group"""
    index_table: pa.Table | None = field(repr=False, default=None)
    skipped: str | None = None
    strict_recall: bool = False
    """True: only ``expected`` counts as found (leave-one-out sets, where a linked copy of the
    entry still carries the query verbatim); False: a linked entry counts too."""

    def __post_init__(self) -> None:
        # ISO-2 code or None, as match_names takes it (pandas 3 would read None as NaN)
        self.queries["country"] = pd.Series(
            [c if isinstance(c, str) and c else None for c in self.queries["country"]],
            index=self.queries.index,
            dtype=object,
        )


def _empty_queries() -> pd.DataFrame:
    return pd.DataFrame(columns=["query", "country", "expected", "group"])


def _sample(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    if n is None or len(frame) <= n:
        return frame
    return frame.sample(n, random_state=seed).sort_index()


def ofac_alias_set(ref: pa.Table, *, max_queries: int | None = None, seed: int = 0) -> RetrievalSet:
    """OFAC SDN entity aliases (aka / fka, weak aliases left out) -> their entity.

    Leave-one-out: the index drops every alias row of the evaluated entities, so an alias has to
    reach its entity through the primary name. ``group`` says whether the alias shares a word
    (legal forms aside) with the primary: the others are translations, acronyms or renamings
    that no spelling matcher can find.
    """
    frame = party_frame(ref)
    sdn = frame[(frame["list_source"] == OFAC_SDN) & (frame["entity_type"] == "entity")]
    primary = sdn[sdn["name_kind"] == "primary"].drop_duplicates("entry").set_index("entry")
    aliases = sdn[sdn["name_kind"].isin(["alias", "former"]) & sdn["entry"].isin(primary.index)]
    aliases = aliases[
        aliases["name"].map(plain) != primary.loc[aliases["entry"], "name"].map(plain).to_numpy()
    ].drop_duplicates(["name", "entry"])
    aliases = _sample(aliases, max_queries, seed)
    countries = entry_countries(sdn)
    shares = [
        bool({w for w in core_words(a) if len(w) >= MIN_WORD} & core_words(primary.at[e, "name"]))
        for a, e in zip(aliases["name"], aliases["entry"], strict=True)
    ]
    queries = pd.DataFrame(
        {
            "query": aliases["name"].to_numpy(),
            "country": [countries.get(e) for e in aliases["entry"]],
            "expected": [(e,) for e in aliases["entry"]],
            "group": np.where(shares, "shares_word", "no_shared_word"),
        }
    )
    chosen = set(aliases["entry"])
    all_aliases = sdn[(sdn["name_kind"] != "primary") & sdn["entry"].isin(chosen)]
    return RetrievalSet(
        "ofac_alias",
        "real",
        "OFAC SDN alias or former name -> its entity (aliases of evaluated entities left out "
        "of the index)",
        queries,
        _without(ref, all_aliases),
        strict_recall=True,
    )


def _eu_records() -> pd.DataFrame:
    frames = []
    for parts in EU_FILES:
        path = SHARED_DATA.joinpath(*parts)
        eu = pd.read_csv(path, dtype=str, keep_default_na=False)
        eu = eu[eu["schema"].isin(EU_ENTITY_SCHEMAS)].copy()
        eu["eu_file"] = path.name
        frames.append(eu)
    return pd.concat(frames, ignore_index=True)


def _eu_country(record: pd.Series) -> str | None:
    from screening.geo import normalise_countries

    for text in (record.get("country", ""), record.get("jurisdiction", "")):
        for part in str(text).split(";"):
            if part.strip():
                code = normalise_countries([part.strip()])["country_iso2"][0].as_py()
                if code:
                    return code
    address = str(record.get("address", "")).split(";")[0]
    if "," in address:
        return normalise_countries([address.rsplit(",", 1)[1].strip()])["country_iso2"][0].as_py()
    return None


def _split_aliases(text: str) -> list[str]:
    """EU alias cells are ';'-separated; a trailing '(ACRONYM)' stays with its name."""
    return [a.strip() for a in text.split(";") if a.strip()]


def eu_inn_set(ref: pa.Table) -> RetrievalSet:
    """EU 833/269 entity names -> OFAC/CSL entries carrying the same Russian INN or OGRN.

    The identifier makes the label; the query is the EU name alone (with the record's country,
    as a trade record would give it). Groups: ``eu_name`` (the EU record's name),
    ``eu_alias_latin`` and ``eu_alias_non_latin`` (its aliases, mostly Russian originals).
    """
    if not all(shared_file(*p) for p in EU_FILES):
        return RetrievalSet("eu_inn", "real", "", _empty_queries(), skipped="EU files absent")
    owners = identifier_owners(party_frame(ref))
    rows = []
    for _, rec in _eu_records().iterrows():
        text = " ".join(rec[c] for c in EU_ID_COLUMNS if c in rec)
        values = [f"INN:{v}" for v in _INN.findall(text)] + [
            f"OGRN:{v}" for v in _OGRN.findall(text)
        ]
        expected = tuple(sorted({e for v in values for e in owners.get(v, ())}))
        if not expected:
            continue
        country = _eu_country(rec)
        rows.append((rec["name"].strip(), country, expected, "eu_name"))
        for alias in _split_aliases(rec.get("alias", "")):
            group = "eu_alias_non_latin" if is_non_latin(alias) else "eu_alias_latin"
            rows.append((alias, country, expected, group))
    queries = pd.DataFrame(rows, columns=["query", "country", "expected", "group"])
    queries = queries[queries["query"] != ""].drop_duplicates(["query", "group"])
    return RetrievalSet(
        "eu_inn",
        "real",
        "EU Reg. 833/2014 + 269/2014 entity name (OpenSanctions transcription) -> OFAC/CSL "
        "entries with the same INN/OGRN",
        queries.reset_index(drop=True),
        ref,
    )


def eu_non_latin_set(ref: pa.Table) -> RetrievalSet:
    """EU entity names in Cyrillic (and other non-Latin scripts) -> the same EU record.

    The index is the reference lists plus the EU records' Latin-script names only, so the
    original-script name has to reach its record through the English/transliterated one.
    """
    if not all(shared_file(*p) for p in EU_FILES):
        return RetrievalSet("eu_non_latin", "real", "", _empty_queries(), skipped="EU files absent")
    eu = eu_table()
    frame = party_frame(eu)
    frame = frame[frame["entity_type"] == "entity"]
    non_latin = frame[frame["name"].map(is_non_latin)]
    has_latin = set(frame.loc[~frame["name"].map(is_non_latin), "entry"])
    non_latin = non_latin[non_latin["entry"].isin(has_latin)].drop_duplicates(["name", "entry"])
    countries = entry_countries(frame)
    queries = pd.DataFrame(
        {
            "query": non_latin["name"].to_numpy(),
            "country": [countries.get(e) for e in non_latin["entry"]],
            "expected": [(e,) for e in non_latin["entry"]],
            "group": np.where(
                non_latin["name"].map(lambda n: bool(_CYRILLIC.search(n))),
                "cyrillic",
                "other_script",
            ),
        }
    )
    eu_latin = _without(eu, frame[frame["name"].map(is_non_latin)])
    index_table = pa.concat_tables([ref, eu_latin], promote_options="default")
    return RetrievalSet(
        "eu_non_latin",
        "real",
        "EU 833/269 entity name in its original (mostly Cyrillic) script -> the same EU record, "
        "indexed under its Latin names only",
        queries,
        index_table,
    )


def ofac_translation_set(ref: pa.Table) -> RetrievalSet:
    """OFAC enhanced-XML names in non-Latin scripts -> their entity (Latin names only indexed)."""
    frame = party_frame(ref)
    rows = frame[(frame["list_source"] == OFAC_NON_SDN) & frame["name"].map(is_non_latin)]
    has_latin = set(frame.loc[~frame["name"].map(is_non_latin), "entry"])
    rows = rows[rows["entry"].isin(has_latin)].drop_duplicates(["name", "entry"])
    countries = entry_countries(frame)
    queries = pd.DataFrame(
        {
            "query": rows["name"].to_numpy(),
            "country": [countries.get(e) for e in rows["entry"]],
            "expected": [(e,) for e in rows["entry"]],
            "group": "translation",
        }
    )
    return RetrievalSet(
        "ofac_translation",
        "real",
        "OFAC consolidated (non-SDN) enhanced XML: a name's non-Latin translation -> its entity",
        queries,
        _without(ref, rows),
    )


def uk_non_latin_set(ref: pa.Table) -> RetrievalSet:
    """UK designations' non-Latin names -> the Latin names of the same designation.

    The FCDO summary export in ../shared carries one primary name per designation and no
    non-Latin name, so the set is built only if a UK file with such names is present.
    """
    frame = party_frame(ref)
    uk = frame[frame["list_source"].str.startswith("uk_")]
    non_latin = uk[uk["name"].map(is_non_latin)]
    has_latin = set(uk.loc[~uk["name"].map(is_non_latin), "entry"])
    non_latin = non_latin[non_latin["entry"].isin(has_latin)]
    if non_latin.empty:
        return RetrievalSet(
            "uk_non_latin",
            "real",
            "UK non-Latin name -> Latin names of the same designation",
            _empty_queries(),
            skipped=(
                f"the UK file in ../shared ({'/'.join(REFERENCE_FILES[3])}) is the FCDO summary "
                f"export: one Latin name per designation ({uk['entry'].nunique()} designations), "
                "no non-Latin names to pair; EU and OFAC non-Latin sets stand in"
            ),
        )
    countries = entry_countries(uk)
    queries = pd.DataFrame(
        {
            "query": non_latin["name"].to_numpy(),
            "country": [countries.get(e) for e in non_latin["entry"]],
            "expected": [(e,) for e in non_latin["entry"]],
            "group": "uk_non_latin",
        }
    )
    return RetrievalSet(
        "uk_non_latin",
        "real",
        "UK non-Latin name -> same designation",
        queries,
        _without(ref, non_latin),
    )


def customs_variant_set(
    ref: pa.Table, *, n_entities: int = 1500, per_entity: int = 2, seed: int = 11
) -> RetrievalSet:
    """SYNTHETIC: customs-style rewrites (``distort.py``) of real listed entity names.

    Entities: OFAC SDN, OFAC non-SDN and BIS Entity List entities (primary names). Each gets
    ``per_entity`` different applicable rewrites (Cyrillic rendering only for RU/BY/UA/KZ
    entities, the INN prefix only where the entry carries an INN). Expected: the entry, or any
    entry listing the same name (plain-word equal), since a duplicate listing is a right hit.
    """
    frame = party_frame(ref)
    pool = frame[
        frame["list_source"].isin([OFAC_SDN, OFAC_NON_SDN, "us_bis_entity_list"])
        & (frame["entity_type"].isna() | (frame["entity_type"] == "entity"))
        & (frame["name_kind"] == "primary")
        & ~frame["name"].map(is_non_latin)
    ].drop_duplicates("entry")
    pool = pool[pool["name"].str.len() >= 6]
    pool = _sample(pool, n_entities, seed)
    by_plain: dict[str, set[str]] = defaultdict(set)
    for entry, name in zip(frame["entry"], frame["name"], strict=True):
        by_plain[plain(name)].add(entry)
    countries = entry_countries(frame)
    inns: dict[str, str] = {}
    for entry, idents in zip(frame["entry"], frame["identifiers"], strict=True):
        for ident in idents if idents is not None else ():
            if ident["scheme"] == "INN":
                inns.setdefault(entry, ident["value"])
    rng = np.random.default_rng(seed)
    rows = []
    for entry, name in zip(pool["entry"], pool["name"], strict=True):
        country = countries.get(entry)
        ops = [
            op
            for op in distort.OPERATIONS
            if distort.applicable(name, op, inn=inns.get(entry))
            and (op != "cyrillic" or country in ("RU", "BY", "UA", "KZ"))
        ]
        expected = tuple(sorted({entry} | by_plain.get(plain(name), set())))
        for op in rng.permutation(ops)[:per_entity]:
            variant = distort.distort(name, str(op), rng, inn=inns.get(entry))
            if variant.strip() and variant != name:
                rows.append((variant, country, expected, str(op), name))
    queries = pd.DataFrame(rows, columns=["query", "country", "expected", "group", "list_name"])
    return RetrievalSet(
        "customs_variants",
        "synthetic",
        "SYNTHETIC distortions (benchmarks/distort.py, no tables shared with the matcher) of "
        "real OFAC / BIS Entity List names",
        queries.drop_duplicates(["query", "country"]).reset_index(drop=True),
        ref,
    )


GENUINELY_LISTED = (
    "NIKIMT",  # JSC NIKIMT-ATOMSTROY: a Rosatom subsidiary on the OFAC SDN list
)
"""Real vendor party names reviewed by hand as being the listed entity itself (substring of the
plain name); they are left out of the clean set."""


def vendor_clean_set(ref: pa.Table) -> RetrievalSet:
    """Real vendor party names (trade/vendor_samples_xlsx) that are not listed: FP rate.

    Each party with its country as screening passes it (exporter: origin, importer:
    destination). Left out as genuinely listed: names equal to a listed name once legal forms
    are set aside, and the hand-reviewed GENUINELY_LISTED.
    """
    folder = shared_file(*VENDOR_DIR)
    if folder is None:
        return RetrievalSet("vendor_clean", "real", "", _empty_queries(), skipped="no vendor files")
    from screening.geo import normalise_countries
    from screening.io import load_trade_files

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = load_trade_files(sorted(folder.glob("*.xlsx"))).table
    rows = []
    for role, column in (("exporter", "origin_country"), ("importer", "destination_country")):
        iso = normalise_countries(table[column])["country_iso2"].to_pylist()
        for name, country in zip(table[role].to_pylist(), iso, strict=True):
            if name and name.strip():
                rows.append((name.strip(), country or None))
    queries = pd.DataFrame(rows, columns=["query", "country"]).drop_duplicates()
    listed_cores = {core_words(n) for n in party_frame(ref)["name"]}
    listed = queries["query"].map(lambda n: core_words(n) in listed_cores) | queries["query"].map(
        lambda n: any(word in plain(n).upper() for word in GENUINELY_LISTED)
    )
    queries = queries[~listed].copy()
    queries["expected"] = [()] * len(queries)
    queries["group"] = "clean"
    return RetrievalSet(
        "vendor_clean",
        "real",
        f"distinct (party name, country) of the real vendor files, {int(listed.sum())} "
        "genuinely listed names left out",
        queries.reset_index(drop=True),
        ref,
    )


def entity_links(tables: Iterable[pa.Table]) -> dict[str, frozenset[str]]:
    """Entry -> every entry that is the same legal entity by a shared INN or OGRN (the OFAC SDN
    entry, its SSI / non-SDN copies, the EU record): a hit on any of them is a right flag."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for table in tables:
        for owners in identifier_owners(party_frame(table)).values():
            first, *rest = sorted(owners)
            for other in rest:
                parent[find(other)] = find(first)
    groups: dict[str, set[str]] = defaultdict(set)
    for entry in list(parent):
        groups[find(entry)].add(entry)
    return {e: frozenset(g) for g in groups.values() for e in g}


def with_links(rset: RetrievalSet, links: dict[str, frozenset[str]]) -> RetrievalSet:
    """Add ``same_entity``: the expected entries and every entry linked to them."""
    if not rset.skipped:
        rset.queries["same_entity"] = [
            tuple(sorted(set(exp).union(*(links.get(e, frozenset()) for e in exp))))
            for exp in rset.queries["expected"]
        ]
    return rset


def retrieval_sets(ref: pa.Table, *, quick: bool = False, seed: int = 0) -> list[RetrievalSet]:
    """Every retrieval set; ``quick`` subsamples the large ones for a fast check."""
    sets = [
        ofac_alias_set(ref, max_queries=400 if quick else None, seed=seed),
        eu_inn_set(ref),
        eu_non_latin_set(ref),
        ofac_translation_set(ref),
        uk_non_latin_set(ref),
        customs_variant_set(ref, n_entities=200 if quick else 1500),
        vendor_clean_set(ref),
    ]
    link_tables = [ref, eu_table()] if all(shared_file(*p) for p in EU_FILES) else [ref]
    links = entity_links(link_tables)
    sets = [with_links(s, links) for s in sets]
    if quick:
        for s in sets:
            if len(s.queries) > 600:
                s.queries = s.queries.sample(600, random_state=seed).reset_index(drop=True)
    return sets


# --------------------------------------------------------------------------------------------
# company pairs: match / non-match judgements for F1


def company_pairs(
    ref: pa.Table, *, per_kind: int = 600, seed: int = 0, quick: bool = False
) -> pd.DataFrame:
    """Labelled name pairs (name1, name2, label, kind) from real list links.

    Positives: EU name vs the primary of the OFAC/CSL entry with its INN/OGRN (``eu_inn``);
    EU original-script name vs its record's Latin name (``eu_non_latin``); OFAC alias sharing a
    word with its primary (``ofac_alias``); OFAC enhanced-XML translation vs primary
    (``ofac_translation``).
    Hard negatives: two different entries of one list whose names differ only in legal form
    and carry no common identifier (``legal_form_only``: 'X LLC' vs 'X JSC'); the most similar
    name of another SDN entity sharing a rare word (``shared_word``); a real vendor name vs the
    most similar listed name (``vendor_nearest``). At most ``per_kind`` pairs per kind;
    ``quick`` searches negatives for a sample only (a fast check, not the reported figure).
    """
    rng_state = seed
    frame = party_frame(ref)
    entities = frame[frame["entity_type"].isna() | (frame["entity_type"] == "entity")]
    primary = entities[entities["name_kind"] == "primary"].drop_duplicates("entry")
    primary_of = dict(zip(primary["entry"], primary["name"], strict=True))
    kinds: list[pd.DataFrame] = []

    def add(rows: list[tuple[str, str]], label: bool, kind: str) -> None:
        df = pd.DataFrame(rows, columns=["name1", "name2"]).drop_duplicates()
        df = df[(df["name1"].str.strip() != "") & (df["name2"].str.strip() != "")]
        df = _sample(df, per_kind, rng_state)
        df["label"], df["kind"] = label, kind
        kinds.append(df)

    eu = eu_inn_set(ref)
    if eu.skipped is None:
        names = eu.queries[eu.queries["group"] == "eu_name"]
        add(
            [
                (q, primary_of[e[0]])
                for q, e in zip(names["query"], names["expected"], strict=True)
                if e[0] in primary_of
            ],
            True,
            "eu_inn",
        )
        nl = eu_non_latin_set(ref)
        eu_frame = party_frame(eu_table())
        eu_primary = dict(
            zip(
                eu_frame.loc[eu_frame["name_kind"] == "primary", "entry"],
                eu_frame.loc[eu_frame["name_kind"] == "primary", "name"],
                strict=False,
            )
        )
        add(
            [
                (q, eu_primary[e[0]])
                for q, e in zip(nl.queries["query"], nl.queries["expected"], strict=True)
                if e[0] in eu_primary and not is_non_latin(eu_primary[e[0]])
            ],
            True,
            "eu_non_latin",
        )
    alias = ofac_alias_set(ref)
    shared = alias.queries[alias.queries["group"] == "shares_word"]
    add(
        [(q, primary_of[e[0]]) for q, e in zip(shared["query"], shared["expected"], strict=True)],
        True,
        "ofac_alias",
    )
    tr = ofac_translation_set(ref)
    add(
        [
            (q, primary_of[e[0]])
            for q, e in zip(tr.queries["query"], tr.queries["expected"], strict=True)
            if e[0] in primary_of
        ],
        True,
        "ofac_translation",
    )

    add(_legal_form_only_pairs(entities), False, "legal_form_only")
    add(
        _shared_word_pairs(entities, _sample(primary, 300 if quick else None, seed)),
        False,
        "shared_word",
    )
    vendor = vendor_clean_set(ref)
    if vendor.skipped is None:
        clean = vendor.queries["query"].drop_duplicates()
        add(
            _nearest_listed(
                _sample(clean.to_frame(), 400 if quick else None, seed)["query"].tolist(), primary
            ),
            False,
            "vendor_nearest",
        )
    pairs = pd.concat(kinds, ignore_index=True)
    pairs = pairs.drop_duplicates(["name1", "name2"]).reset_index(drop=True)
    pairs["name_evidence"] = [
        shares_name_evidence(a, b) for a, b in zip(pairs["name1"], pairs["name2"], strict=True)
    ]
    return pairs


LEGAL_FORM_CANON = {
    "ltd": "ltd",
    "limited": "ltd",
    "llc": "llc",
    "ooo": "llc",
    "inc": "inc",
    "incorporated": "inc",
    "corp": "corp",
    "corporation": "corp",
    "gmbh": "gmbh",
    "ag": "ag",
    "jsc": "jsc",
    "ao": "jsc",
    "ojsc": "jsc",
    "oao": "jsc",
    "cjsc": "jsc",
    "zao": "jsc",
    "pjsc": "jsc",
    "pao": "jsc",
    "sarl": "sarl",
    "sa": "sa",
    "srl": "srl",
    "spa": "spa",
    "bv": "bv",
    "nv": "nv",
    "pte": "ltd",
    "plc": "plc",
    "fze": "fze",
    "fzco": "fzco",
    "lda": "lda",
    "tov": "llc",
    "kg": "kg",
    "llp": "llp",
    "lp": "lp",
    "sas": "sas",
    "oy": "oy",
    "ab": "ab",
}
"""Legal forms for labelling only: spellings of one form share a value (LIMITED = LTD, OOO =
LLC); the Russian joint-stock forms are one value, since a company re-registered from OAO to
PAO is the same company."""


def canonical_forms(name: str) -> frozenset[str]:
    return frozenset(LEGAL_FORM_CANON[w] for w in plain(name).split() if w in LEGAL_FORM_CANON)


_TO_LATIN = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
        "і": "i",
        "ї": "i",
        "є": "e",
        "ґ": "g",
    }
)
"""A plain Russian/Ukrainian romanisation for labelling only (not the matcher's)."""


def shares_name_evidence(name1: str, name2: str) -> bool:
    """Whether two names have a word in common (legal forms aside, Cyrillic romanised, first
    four letters compared): the pairs a spelling matcher can be asked to find without a
    dictionary. Translations ('Тульский Оружейный Завод' / 'Tula Arms Plant') and unrelated
    renamings have none."""

    def stems(name: str) -> set[str]:
        return {w[:4] for w in core_words(name.lower().translate(_TO_LATIN)) if len(w) >= 3}

    return bool(stems(name1) & stems(name2))


def _legal_form_only_pairs(entities: pd.DataFrame) -> list[tuple[str, str]]:
    """Different entries of one list whose names share every core word while their legal forms
    conflict (both given, none in common), with no identifier in common: two legal entities,
    as 'Deutsche Bank AG' and 'Deutsche Bank GmbH' are."""
    ids = defaultdict(set)
    for entry, idents in zip(entities["entry"], entities["identifiers"], strict=True):
        for ident in idents if idents is not None else ():
            ids[entry].add((ident["scheme"], ident["value"]))
    groups: dict[tuple[str, frozenset[str]], list[tuple[str, str, frozenset[str]]]] = defaultdict(
        list
    )
    for source, entry, name in zip(
        entities["list_source"], entities["entry"], entities["name"], strict=True
    ):
        forms = canonical_forms(name)
        if forms and not is_non_latin(name):
            groups[(source, core_words(name))].append((entry, name, forms))
    rows = []
    for members in groups.values():
        for i, (e1, n1, f1) in enumerate(members):
            for e2, n2, f2 in members[i + 1 :]:
                if e1 != e2 and not (f1 & f2) and not (ids[e1] & ids[e2]):
                    rows.append((n1, n2))
    return rows


def _shared_word_pairs(entities: pd.DataFrame, primary: pd.DataFrame) -> list[tuple[str, str]]:
    """For each SDN primary, the most similar name of another SDN entity sharing a rare word,
    unless one name's core words nest in the other's (no name matcher can tell those apart)."""
    sdn = entities[entities["list_source"] == OFAC_SDN]
    sdn = sdn[sdn["name_kind"] != "weak_alias"].reset_index(drop=True)
    words = [{w for w in core_words(n) if len(w) >= MIN_WORD} for n in sdn["name"]]
    df: dict[str, int] = defaultdict(int)
    for ws in words:
        for w in ws:
            df[w] += 1
    postings: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            if df[w] <= 30:
                postings[w].append(i)
    cores_of: dict[str, list[frozenset[str]]] = defaultdict(list)
    for entry, name in zip(sdn["entry"], sdn["name"], strict=True):
        cores_of[entry].append(core_words(name))
    prim = primary[primary["list_source"] == OFAC_SDN]
    rows = []
    entries = sdn["entry"].to_numpy()
    for entry, name in zip(prim["entry"], prim["name"], strict=True):
        cands = sorted(
            {
                j
                for w in core_words(name)
                if w in postings
                for j in postings[w]
                if entries[j] != entry
            }
        )
        cands = [
            j
            for j in cands
            if not any(
                c <= core_words(sdn.at[j, "name"]) or core_words(sdn.at[j, "name"]) <= c
                for c in cores_of[entry]
            )
        ]
        if not cands:
            continue
        sims = process.cdist(
            [name],
            sdn["name"].to_numpy()[cands],
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
        )[0]
        rows.append((str(sdn.at[cands[int(np.argmax(sims))], "name"]), name))
    return rows


def _nearest_listed(names: list[str], primary: pd.DataFrame) -> list[tuple[str, str]]:
    """Each clean vendor name with its most similar listed entity name, compared without legal
    forms (token_sort_ratio of the core words ≥ 60), so the pair is hard, not a shared 'LTD'."""
    listed = primary["name"].to_numpy()
    listed_core = [" ".join(sorted(core_words(n))) for n in listed]
    rows = []
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        chunk_core = [" ".join(sorted(core_words(n))) for n in chunk]
        scores = process.cdist(
            chunk_core, listed_core, scorer=fuzz.token_sort_ratio, workers=-1, dtype=np.uint8
        )
        best = scores.argmax(axis=1)
        for i, j in enumerate(best):
            if scores[i, j] >= 60:
                rows.append((chunk[i], str(listed[j])))
    return rows
