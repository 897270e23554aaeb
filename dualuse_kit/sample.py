"""Seeded synthetic customs records for the demo and benchmarks, with optional ground truth.

Why synthetic: real customs data with names is licensed vendor data that cannot ship with the
project, and it has no labels. These records look like a simple customs export (vendor-style
country names, mixed national tariff-code formats, English and Russian descriptions, Russian
INN+KPP prefixes, 35-character truncation) and carry their own answers: which party names were
derived from which list entry and how they were rewritten, which rows carry a CHPL code, and the
route the shipment was meant to represent.

Innocent traffic is the majority and is built from word pools (``data/sample_vocabulary.yml``),
never from vendor samples. Listed parties are real list names (from the ``list_table`` given by
the caller, in :data:`screening.schema.LIST_ENTRY_SCHEMA`) rewritten the way customs data writes
them. Everything is drawn with numpy from named sub-streams of one seed, so the same seed, list
table and arguments give the same table, and each component's randomness is independent of the
others'.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from screening.hs.chpl import load_chpl

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "sample_vocabulary.yml"

TRADE_COLUMNS: tuple[str, ...] = (
    "RECORD_ID",
    "DATE",
    "EXPORTER_NAME",
    "IMPORTER_NAME",
    "ORIGIN_COUNTRY",
    "DESTINATION_COUNTRY",
    "HS_CODE",
    "PRODUCT_DESCRIPTION",
    "VALUE_USD",
    "QUANTITY",
    "UNIT",
)
TRUTH_COLUMNS: tuple[str, ...] = (
    "truth_exporter_list_source",
    "truth_exporter_source_id",
    "truth_exporter_list_name",
    "truth_exporter_name_variant",
    "truth_importer_list_source",
    "truth_importer_source_id",
    "truth_importer_list_name",
    "truth_importer_name_variant",
    "truth_hs6",
    "truth_chpl_tier",
    "truth_route",
)
ROUTE_KINDS: tuple[str, ...] = ("ordinary", "to_hub", "hub_to_russia", "direct_russia")
"""``ordinary``: no Russia involvement; ``to_hub``: western origin to a transshipment hub;
``hub_to_russia``: a hub company ships (often western-made) goods to Russia/Belarus;
``direct_russia``: the origin country's exporter ships straight to Russia/Belarus."""

HS_FORMATS: tuple[str, ...] = ("hs6", "cn8", "tnved10", "dotted10", "dotted6", "float")
_DISCRETE_UNITS = frozenset({"PCS", "UNIT", "PRS", "SET"})
_CYRILLIC = r"[\p{Cyrillic}]"
_LIST_COLUMNS = (
    "list_source",
    "source_id",
    "entity_type",
    "name",
    "name_kind",
    "programs",
    "countries",
    "identifiers",
)


# --------------------------------------------------------------------------------------------
# Reference data


@functools.cache
def load_sample_vocabulary(path: Path = VOCABULARY_FILE) -> dict[str, Any]:
    """The word pools, templates and catalogues; cached since every call reads the same file."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent generator per component: changing one part never reshuffles another."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _weights(mapping: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(mapping)
    values = np.asarray([mapping[k] for k in keys], dtype=float)
    return keys, values / values.sum()


def _skewed_index(rng: np.random.Generator, sizes: np.ndarray, power: float) -> np.ndarray:
    """Index below each size, denser near 0: a few parties trade often, most rarely."""
    return np.minimum((sizes * rng.random(sizes.shape[0]) ** power).astype(np.int64), sizes - 1)


# --------------------------------------------------------------------------------------------
# Goods


@dataclass(frozen=True)
class _Goods:
    """The HS6 catalogue as parallel arrays, plus its description pool."""

    hs6: list[str]
    tier: list[str | None]
    unit: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    chpl_p: np.ndarray
    """probability of each good among CHPL rows (0 for ordinary goods)"""
    other_p: np.ndarray
    """probability of each good among non-CHPL rows"""
    descriptions: pa.Array
    desc_start: np.ndarray
    """[good, lang]: first description index; lang 0 = English, 1 = Russian"""
    desc_count: np.ndarray
    codes: pa.Array
    """good * len(HS_FORMATS) + format -> the code as written"""


def _short_description(text: str) -> str:
    """An HS subheading text cut to a customs-description length."""
    words = text.upper().replace(";", "").replace(",", "").split()
    out: list[str] = []
    for word in words:
        if len(" ".join([*out, word])) > 60:
            break
        out.append(word)
    return " ".join(out)


def _national_codes(hs6: str, rng: np.random.Generator) -> list[str]:
    """One code per HS_FORMATS entry, with national digits fixed per good as in real tariffs."""
    ext8 = str(rng.choice(["00", "00", "10", "90", "11", "19", "80"]))
    ext10 = str(rng.choice(["00", "00", "09", "10", "90"]))
    return [
        hs6,
        hs6 + ext8,
        hs6 + ext8 + ext10,
        f"{hs6[:4]}.{hs6[4:]}.{ext8}{ext10}",
        f"{hs6[:4]}.{hs6[4:]}",
        f"{int(hs6)}.0",
    ]


def _build_goods(vocab: dict[str, Any], chpl: pa.Table, seed: int) -> _Goods:
    rng = _rng(seed, "goods")
    catalogue: dict[str, dict[str, Any]] = vocab["goods"]
    chpl_rows = chpl.to_pylist()
    chpl_codes = {r["hs6"] for r in chpl_rows}
    tier_weight: dict[str, float] = vocab["chpl_tier_weights"]

    entries: list[dict[str, Any]] = []
    for row in chpl_rows:
        entry = dict(catalogue.get(row["hs6"], {}))
        if "unit" not in entry:
            unit, price, qty = vocab["chpl_defaults"].get(row["hs6"][:2], ("PCS", 100, 50))
            entry.update(unit=unit, price=price, qty=qty)
        entry.setdefault("en", [_short_description(row.get("description") or "GOODS")])
        entries.append({**entry, "hs6": row["hs6"], "tier": row["tier"]})
    for hs6, entry in catalogue.items():
        if hs6 not in chpl_codes:
            entries.append({**entry, "hs6": hs6, "tier": None})

    chpl_w = np.zeros(len(entries))
    tier_totals: dict[str, float] = {}
    for e in entries:
        if e["tier"] is not None:
            tier_totals[e["tier"]] = tier_totals.get(e["tier"], 0.0) + e.get("weight", 1.0)
    for i, e in enumerate(entries):
        if e["tier"] is not None:
            share = tier_weight.get(e["tier"], 0.0) / tier_totals[e["tier"]]
            chpl_w[i] = share * e.get("weight", 1.0)
    other_w = np.array([0.0 if e["tier"] else e.get("weight", 1.0) for e in entries])

    texts: list[str] = []
    desc_start = np.zeros((len(entries), 2), dtype=np.int64)
    desc_count = np.zeros((len(entries), 2), dtype=np.int64)
    codes: list[str] = []
    for i, e in enumerate(entries):
        for lang, key in enumerate(("en", "ru")):
            pool = e.get(key) or e["en"]
            desc_start[i, lang], desc_count[i, lang] = len(texts), len(pool)
            texts.extend(pool)
        codes.extend(_national_codes(e["hs6"], rng))

    return _Goods(
        hs6=[e["hs6"] for e in entries],
        tier=[e["tier"] for e in entries],
        unit=np.array([e["unit"] for e in entries]),
        price=np.array([float(e["price"]) for e in entries]),
        qty=np.array([float(e["qty"]) for e in entries]),
        chpl_p=chpl_w / chpl_w.sum(),
        other_p=other_w / other_w.sum(),
        descriptions=pa.array(texts, pa.string()),
        desc_start=desc_start,
        desc_count=desc_count,
        codes=pa.array(codes, pa.string()),
    )


# --------------------------------------------------------------------------------------------
# Routes


@dataclass(frozen=True)
class _Routes:
    kind: np.ndarray
    """index into ROUTE_KINDS"""
    origin: np.ndarray
    exporter_country: np.ndarray
    destination: np.ndarray
    """also the importer's country"""


def _draw_routes(
    vocab: dict[str, Any], countries: list[str], suspicious: np.ndarray, seed: int
) -> _Routes:
    """Route kind by row (suspicious rows lean to Russia and hubs), then countries per kind."""
    rng = _rng(seed, "routes")
    n = suspicious.shape[0]
    index = {c: i for i, c in enumerate(countries)}
    routes = vocab["routes"]

    def draw(name: str, size: int) -> np.ndarray:
        keys, p = _weights(routes[name])
        return np.array([index[k] for k in keys])[rng.choice(len(keys), size=size, p=p)]

    clean_kinds, clean_p = _weights(vocab["route_mix"]["clean"])
    susp_kinds, susp_p = _weights(vocab["route_mix"]["suspicious"])
    kind = np.where(
        suspicious,
        np.array([ROUTE_KINDS.index(k) for k in susp_kinds])[rng.choice(len(susp_p), n, p=susp_p)],
        np.array([ROUTE_KINDS.index(k) for k in clean_kinds])[
            rng.choice(len(clean_p), n, p=clean_p)
        ],
    )
    origin = np.zeros(n, dtype=np.int64)
    exporter = np.zeros(n, dtype=np.int64)
    destination = np.zeros(n, dtype=np.int64)

    rows = np.flatnonzero(kind == ROUTE_KINDS.index("ordinary"))
    o, d = draw("ordinary_origins", rows.size), draw("ordinary_destinations", rows.size)
    for _ in range(20):  # redraw the few domestic pairs
        same = o == d
        if not same.any():
            break
        d[same] = draw("ordinary_destinations", int(same.sum()))
    origin[rows], exporter[rows], destination[rows] = o, o, d

    rows = np.flatnonzero(kind == ROUTE_KINDS.index("to_hub"))
    o = draw("western_origins", rows.size)
    origin[rows], exporter[rows], destination[rows] = o, o, draw("hubs", rows.size)

    rows = np.flatnonzero(kind == ROUTE_KINDS.index("hub_to_russia"))
    hub = draw("hubs", rows.size)
    made_in, made_p = _weights(routes["hub_goods_origin"])
    made = np.array(made_in)[rng.choice(len(made_in), rows.size, p=made_p)]
    o = np.where(made == "western", draw("western_origins", rows.size), hub)
    o = np.where(made == "CN", index["CN"], o)
    origin[rows], exporter[rows], destination[rows] = o, hub, draw("russia", rows.size)

    rows = np.flatnonzero(kind == ROUTE_KINDS.index("direct_russia"))
    o, d = draw("direct_russia_origins", rows.size), draw("russia", rows.size)
    d = np.where(o == d, index["RU"], d)
    origin[rows], exporter[rows], destination[rows] = o, o, d

    return _Routes(kind, origin, exporter, destination)


def _country_spellings(
    vocab: dict[str, Any], countries: list[str], country: np.ndarray, rng: np.random.Generator
) -> pa.Array:
    """Each row's country as some vendor writes it ("TÜRKİYE", "HONG KONG, CHINA", "RU")."""
    texts: list[str] = []
    choice = np.zeros(country.shape[0], dtype=np.int64)
    for i, iso in enumerate(countries):
        rows = np.flatnonzero(country == i)
        spellings = vocab["countries"][iso]
        p = np.array([w for _, w in spellings], dtype=float)
        choice[rows] = len(texts) + rng.choice(len(spellings), rows.size, p=p / p.sum())
        texts.extend(s for s, _ in spellings)
    return pa.array(texts, pa.string()).take(pa.array(choice))


# --------------------------------------------------------------------------------------------
# Clean (innocent) parties


def _fill_template(
    template: str, pools: dict[str, list[str]], size: int, rng: np.random.Generator
) -> pa.Array:
    """``size`` names from one template, every {pool} drawn independently (vectorised)."""
    if "{" not in template:
        return pa.array([template] * size, pa.string())
    parts: list[pa.Array | str] = []
    rest = template
    while "{" in rest:
        literal, _, after = rest.partition("{")
        pool_name, _, rest = after.partition("}")
        if literal:
            parts.append(literal)
        pool = pa.array(pools[pool_name], pa.string())
        parts.append(pool.take(pa.array(rng.integers(0, len(pool), size))))
    if rest:
        parts.append(rest)
    return pc.binary_join_element_wise(*parts, "")


def _inn_check_digit(digits: np.ndarray) -> np.ndarray:
    """Check digit of a 10-digit Russian company INN, so fake INNs pass format validation."""
    weights = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8])
    return (digits @ weights) % 11 % 10


def _fake_inns(size: int, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """Valid-looking company INN and KPP (tax office = first 4 INN digits, reason code 01)."""
    region = rng.choice(np.array([77, 78, 50, 54, 66, 16, 23, 52, 63, 74]), size)
    body = np.column_stack([region // 10, region % 10, rng.integers(0, 10, (size, 7))])
    digits = np.column_stack([body, _inn_check_digit(body)]).astype(np.int64)
    number = digits @ (10 ** np.arange(9, -1, -1, dtype=np.int64))
    inn = pc.utf8_lpad(pc.cast(pa.array(number), pa.string()), 10, "0")
    kpp = pc.binary_join_element_wise(pc.utf8_slice_codeunits(inn, 0, 4), "01001", "")
    return inn, kpp


@dataclass(frozen=True)
class _CleanPool:
    names: pa.Array
    start: np.ndarray
    """first pool index per country"""
    size: np.ndarray
    inn: pa.Array
    """INN per pool entry (Russian companies only, else null)"""
    kpp: pa.Array


def _build_clean_pool(
    vocab: dict[str, Any],
    countries: list[str],
    slots_per_country: np.ndarray,
    listed_keys: pa.Array,
    seed: int,
) -> _CleanPool:
    """Company names per country, about one company per five party slots."""
    rng = _rng(seed, "clean_parties")
    templates: dict[str, list[list[Any]]] = vocab["name_templates"]
    pools: dict[str, list[str]] = vocab["word_pools"]
    chunks: list[pa.Array] = []
    start = np.zeros(len(countries), dtype=np.int64)
    size = np.zeros(len(countries), dtype=np.int64)
    offset = 0
    for i, iso in enumerate(countries):
        wanted = int(np.clip(np.ceil(slots_per_country[i] / 5), 3, 20_000))
        country_templates = templates.get(iso, templates["_default"])
        p = np.array([w for _, w in country_templates], dtype=float)
        which = rng.choice(len(country_templates), wanted, p=p / p.sum())
        names = pa.chunked_array(
            [
                _fill_template(t, pools, int((which == k).sum()), rng)
                for k, (t, _) in enumerate(country_templates)
            ],
            pa.string(),
        )
        names = pc.unique(names)
        # a clean name must never be a listed name in disguise: that would corrupt the truth
        names = names.filter(pc.invert(pc.is_in(_name_key(names), value_set=listed_keys)))
        names = names.take(pa.array(rng.permutation(len(names))))
        chunks.append(names)
        start[i], size[i] = offset, len(names)
        offset += len(names)
    all_names = pa.concat_arrays(chunks)
    ru = countries.index("RU")
    inn, kpp = _fake_inns(int(size[ru]), rng)
    before = pa.nulls(int(start[ru]), pa.string())
    after = pa.nulls(len(all_names) - int(start[ru] + size[ru]), pa.string())
    return _CleanPool(
        all_names,
        start,
        size,
        pa.concat_arrays([before, inn, after]),
        pa.concat_arrays([before, kpp, after]),
    )


_KEY_LEGAL_FORMS = (
    r"\b(LLC|OOO|LTD|LIMITED|CO|COMPANY|INC|CORP|CORPORATION|JSC|AO|PJSC|PAO|ZAO|OAO|CJSC|OJSC"
    r"|GMBH|FZE|FZCO|TOO|OSOO|LLP)\b"
)


def _name_key(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A crude comparison key (letters and digits, legal forms dropped) to spot collisions."""
    key = pc.utf8_upper(names)
    key = pc.replace_substring_regex(key, r"[^\p{L}\p{N}]+", " ")
    key = pc.replace_substring_regex(key, _KEY_LEGAL_FORMS, " ")
    key = pc.utf8_trim_whitespace(pc.replace_substring_regex(key, r"\s+", " "))
    return key.combine_chunks() if isinstance(key, pa.ChunkedArray) else key


# --------------------------------------------------------------------------------------------
# Listed parties


@dataclass(frozen=True)
class _ListedCandidates:
    """Organisations from the list table that can appear as trade parties."""

    list_source: list[str]
    source_id: list[str]
    names: list[list[str]]
    """primary name first, then aliases"""
    weight: np.ndarray
    countries: list[list[str]]
    inn: list[str | None]
    kpp: list[str | None]
    russian: np.ndarray
    """Russia-related: only these get Russian transliteration variants"""

    def __len__(self) -> int:
        return len(self.source_id)


def _flat_rows(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(row index, value) for every element of a list column."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.list_parent_indices(column).to_numpy(), pc.list_flatten(column)


def _rows_where_any(column: pa.ChunkedArray, test: Any) -> np.ndarray:
    """Per row of a list column: does any element pass ``test`` (a compute on the elements)?"""
    parent, values = _flat_rows(column)
    out = np.zeros(len(column), dtype=bool)
    if len(values):
        out[parent[pc.fill_null(test(values), False).to_numpy(zero_copy_only=False)]] = True
    return out


def _first_identifier(identifiers: pa.ChunkedArray, schemes: list[str], digits: int) -> pd.Series:
    """Per row, the first identifier of one of ``schemes`` that is ``digits`` digits long."""
    parent, ident = _flat_rows(identifiers)
    if not len(ident):
        return pd.Series(index=pd.Index([], dtype=np.int64), dtype=object)
    value = pc.utf8_trim_whitespace(pc.struct_field(ident, "value"))
    ok = pc.and_(
        pc.is_in(pc.utf8_upper(pc.struct_field(ident, "scheme")), value_set=pa.array(schemes)),
        pc.match_substring_regex(value, rf"^\d{{{digits}}}$"),
    )
    ok_np = pc.fill_null(ok, False).to_numpy(zero_copy_only=False)
    found = pd.Series(value.filter(ok).to_pylist(), index=parent[ok_np], dtype=object)
    return found[~found.index.duplicated()]


def _listed_candidates(
    list_table: pa.Table, vocab: dict[str, Any], countries: list[str], seed: int
) -> _ListedCandidates:
    """Listed organisations, weighted towards Russia (RUSSIA-EO14024, RU/BY addresses) and hubs."""
    spec = vocab["listed_names"]
    t = list_table
    is_org = pc.or_kleene(
        pc.equal(t["entity_type"], "entity"),
        pc.and_kleene(
            pc.is_null(t["entity_type"]),
            pc.match_substring_regex(pc.utf8_upper(t["name"]), spec["organisation_words"]),
        ),
    )
    usable = pc.and_(
        pc.is_in(t["name_kind"], value_set=pa.array(["primary", "alias"])),
        pc.greater_equal(pc.utf8_length(t["name"]), 4),
    )
    t = t.filter(pc.and_(pc.fill_null(is_org, False), usable))
    if t.num_rows == 0:
        return _ListedCandidates([], [], [], np.zeros(0), [], [], [], np.zeros(0, dtype=bool))

    hubs = pa.array(list(vocab["routes"]["hubs"]))
    rows = pd.DataFrame(
        {
            "list_source": t["list_source"].to_pandas(),
            "source_id": t["source_id"].to_pandas(),
            "name": t["name"].to_pandas(),
            "secondary": pc.not_equal(t["name_kind"], "primary").to_numpy(zero_copy_only=False),
            "russia": _rows_where_any(
                t["programs"], lambda v: pc.match_substring_regex(v, spec["russia_programs"])
            )
            | _rows_where_any(t["countries"], lambda v: pc.is_in(v, pa.array(["RU", "BY"]))),
            "hub": _rows_where_any(t["countries"], lambda v: pc.is_in(v, hubs)),
            "excluded": _rows_where_any(
                t["programs"], lambda v: pc.is_in(v, pa.array(spec["excluded_programs"]))
            )
            | pc.match_substring_regex(
                pc.utf8_upper(t["name"]), spec["unlikely_party_words"]
            ).to_numpy(zero_copy_only=False),
            "export_control": pc.match_substring_regex(
                t["list_source"], spec["export_control_sources"], ignore_case=True
            ).to_numpy(zero_copy_only=False),
            "inn": _first_identifier(t["identifiers"], spec["inn_schemes"], 10),
            "kpp": _first_identifier(t["identifiers"], ["KPP"], 9),
        }
    )
    parent, country = _flat_rows(t["countries"])
    row_countries = pd.DataFrame({"row": parent, "country": country.to_pandas()})

    # one candidate per (list_source, source_id), in a fixed order whatever the table's order
    rows = rows.sort_values(["list_source", "source_id", "secondary", "name"], kind="stable")
    key = ["list_source", "source_id"]
    entities = rows.groupby(key, sort=True).agg(
        names=("name", lambda s: list(dict.fromkeys(s))),
        russia=("russia", "any"),
        hub=("hub", "any"),
        excluded=("excluded", "any"),
        export_control=("export_control", "any"),
        inn=("inn", "first"),
        kpp=("kpp", "first"),
    )
    row_countries = row_countries.join(rows[key], on="row").drop_duplicates([*key, "country"])
    entity_countries = row_countries.groupby(key, sort=False)["country"].agg(list)
    entities["countries"] = entity_countries.reindex(entities.index)

    w = spec["candidate_weights"]
    weight = np.select(
        [entities["russia"], entities["hub"] & entities["export_control"], entities["hub"]],
        [w["russia"], w["hub_export_control"], w["hub"]],
        0.0,
    )
    weight = np.where(entities["excluded"] & ~entities["russia"], 0.0, weight)
    weight *= np.where(entities["names"].map(lambda n: "BANK" in n[0].upper()), 0.3, 1.0)
    chosen = np.flatnonzero(weight > 0)
    max_candidates = int(spec["max_candidates"])
    if chosen.size > max_candidates:
        p = weight[chosen] / weight[chosen].sum()
        pick = _rng(seed, "listed_candidates").choice(chosen.size, max_candidates, False, p)
        chosen = chosen[np.sort(pick)]
    picked = entities.iloc[chosen]
    known = set(countries)
    inn = [v if isinstance(v, str) else None for v in picked["inn"]]
    kpp = [v if isinstance(v, str) else None for v in picked["kpp"]]
    return _ListedCandidates(
        list_source=picked.index.get_level_values(0).tolist(),
        source_id=picked.index.get_level_values(1).tolist(),
        names=picked["names"].tolist(),
        weight=weight[chosen],
        countries=[
            [c for c in cs if c in known] if isinstance(cs, list) else []
            for cs in picked["countries"]
        ],
        inn=inn,
        kpp=[k or (i[:4] + "01001" if i else None) for i, k in zip(inn, kpp, strict=True)],
        russian=picked["russia"].to_numpy(dtype=bool),
    )


@dataclass(frozen=True)
class _ListedVariants:
    """``variants_per_entity`` customs-style spellings per candidate, candidate-major."""

    names: pa.Array
    base_names: pa.Array
    ops: pa.Array
    truncated: np.ndarray


def _join_ops(labels: list[pa.Array]) -> pa.Array:
    """Join op names with "+", skipping nulls (pyarrow's null_handling="skip" drops rows)."""
    joined = pc.binary_join_element_wise(*labels, "+", null_handling="replace")
    joined = pc.replace_substring_regex(joined, r"\++", "+")
    return pc.replace_substring_regex(joined, r"^\+|\+$", "")


def _apply_typos(names: pa.Array, rows: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """One keyboard slip per selected name (drop, double, swap or replace one letter)."""
    if rows.size == 0:
        return names
    text = np.array(names.take(pa.array(rows)).to_pylist(), dtype=str)
    width = text.dtype.itemsize // 4 + 2  # room for a doubled letter plus a closing NUL
    codes = text.astype(f"<U{width}").view(np.uint32).reshape(rows.size, width)
    length = (codes != 0).sum(axis=1)
    pos = 1 + (rng.random(rows.size) * np.maximum(length - 2, 1)).astype(np.int64)
    kind = rng.integers(0, 4, rows.size)  # 0 drop, 1 double, 2 swap with next, 3 replace
    col = np.arange(width)[None, :]
    p = pos[:, None]
    src = np.broadcast_to(col, codes.shape)
    src = np.where((kind == 0)[:, None] & (col >= p), np.minimum(col + 1, width - 1), src)
    src = np.where((kind == 1)[:, None] & (col > p), col - 1, src)
    src = np.where((kind == 2)[:, None] & (col == p), col + 1, src)
    src = np.where((kind == 2)[:, None] & (col == p + 1), col - 1, src)
    out = np.take_along_axis(codes, src, axis=1)
    letters = np.frombuffer("ABCDEFGHIJKLMNOPRSTUVWYZ".encode("utf-32-le"), dtype=np.uint32)
    replace = np.flatnonzero(kind == 3)
    out[replace, pos[replace]] = rng.choice(letters, replace.size)
    out[:, -1] = 0
    typed = pa.array(np.ascontiguousarray(out).view(f"<U{width}").ravel(), pa.string())
    mask = np.zeros(len(names), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(names, pa.array(mask), typed)


def _build_listed_variants(
    cands: _ListedCandidates, vocab: dict[str, Any], seed: int
) -> _ListedVariants:
    """Rewrite list names as customs data writes them; every applied op is recorded."""
    spec = vocab["listed_names"]
    rng = _rng(seed, "listed_variants")
    per = int(spec["variants_per_entity"])
    n = len(cands) * per
    cand = np.repeat(np.arange(len(cands)), per)

    # base name: primary, an alias, or a Cyrillic name where the list gives one
    flat = [name for names in cands.names for name in names]
    first = np.cumsum([0] + [len(names) for names in cands.names])[:-1]
    count = np.array([len(names) for names in cands.names])
    is_cyr = pc.match_substring_regex(pa.array(flat, pa.string()), _CYRILLIC).to_numpy(
        zero_copy_only=False
    )
    cyr_index = np.full(len(cands), -1)
    for c in range(len(cands)):
        hits = np.flatnonzero(is_cyr[first[c] : first[c] + count[c]])
        cyr_index[c] = first[c] + hits[0] if hits.size else -1
    roll = rng.random(n)
    alias = first[cand] + 1 + (rng.random(n) * np.maximum(count[cand] - 1, 1)).astype(np.int64)
    use_alias = (roll < spec["alias_share"]) & (count[cand] > 1)
    # the last variant of an entity with a Cyrillic name always uses it, others by chance
    last_slot = np.tile(np.arange(per) == per - 1, len(cands))
    use_cyr = (last_slot | (rng.random(n) < spec["cyrillic_share"])) & (cyr_index[cand] >= 0)
    base_index = np.where(use_cyr, cyr_index[cand], np.where(use_alias, alias, first[cand]))
    base = pa.array(flat, pa.string()).take(pa.array(base_index))

    op_names: list[str] = []
    op_masks: list[np.ndarray] = []

    def record(name: str, before: pa.Array, after: pa.Array) -> pa.Array:
        op_names.append(name)
        op_masks.append(pc.not_equal(before, after).to_numpy(zero_copy_only=False))
        return after

    def chosen(op: str) -> pa.Array:
        return pa.array(rng.random(n) < spec["op_share"][op])

    op_names.append("alias")
    op_masks.append(use_alias & ~use_cyr)
    op_names.append("cyrillic")
    op_masks.append(use_cyr)
    name = record("upper", base, pc.utf8_upper(base))
    name = record(
        "drop_quotes",
        name,
        pc.if_else(
            chosen("drop_quotes"), pc.replace_substring_regex(name, spec["quote_chars"], ""), name
        ),
    )
    name = record(
        "drop_punct",
        name,
        pc.if_else(
            chosen("drop_punct"), pc.replace_substring_regex(name, spec["punct_chars"], " "), name
        ),
    )
    name = pc.utf8_trim_whitespace(pc.replace_substring_regex(name, r"\s+", " "))

    before, swap = name, chosen("legal_form_swap")
    for pattern, targets in spec["legal_form_swap"]:
        pick = rng.integers(0, len(targets), n)
        for k, target in enumerate(targets):
            mask = pc.and_(swap, pa.array(pick == k))
            name = pc.if_else(mask, pc.replace_substring_regex(name, pattern, target), name)
    name = record("legal_form_swap", before, name)

    before, abbreviate = name, chosen("abbreviate")
    for pattern, short in spec["abbreviations"]:
        name = pc.if_else(abbreviate, pc.replace_substring_regex(name, pattern, short), name)
    name = record("abbreviate", before, name)

    forms = "|".join(sorted(spec["movable_legal_forms"], key=len, reverse=True))
    move = chosen("legal_form_move")
    to_back = pc.replace_substring_regex(name, rf"^({forms}) (.+)$", r"\2 \1")
    to_front = pc.replace_substring_regex(name, rf"^(.+) ({forms})$", r"\2 \1")
    moved = pc.if_else(pc.not_equal(to_back, name), to_back, to_front)
    name = record("legal_form_move", name, pc.if_else(move, moved, name))

    # one transliteration rule per variant, drawn among the rules the name offers
    rules = spec["translit"]
    offers = np.column_stack(
        [pc.match_substring(name, old).to_numpy(zero_copy_only=False) for old, _ in rules]
    )
    pick = np.argmax(np.where(offers, rng.random(offers.shape), -1.0), axis=1)
    apply = chosen("translit").to_numpy(zero_copy_only=False) & ~use_cyr & cands.russian[cand]
    before = name
    for k, (old, new) in enumerate(rules):
        mask = pa.array(apply & (pick == k) & offers[:, k])
        name = pc.if_else(mask, pc.replace_substring(name, old, new), name)
    name = record("translit", before, name)

    typo_rows = np.flatnonzero(
        (rng.random(n) < spec["op_share"]["typo"])
        & (pc.utf8_length(name).to_numpy(zero_copy_only=False) >= 6)
    )
    name = record("typo", name, _apply_typos(name, typo_rows, rng))

    limit = int(spec["truncate_to"])
    cut = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(name, 0, limit))
    name = record("truncate35", name, pc.if_else(chosen("truncate35"), cut, name))
    truncated = op_masks[-1]

    labels = [
        pc.if_else(pa.array(mask), pa.scalar(op), pa.scalar(None, pa.string()))
        for op, mask in zip(op_names, op_masks, strict=True)
    ]
    ops = _join_ops(labels)
    ops = pc.if_else(pc.equal(ops, ""), "verbatim", ops)
    return _ListedVariants(name, base, ops, truncated)


def _candidate_groups(
    cands: _ListedCandidates, countries: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(members sorted by country, start, size): which candidates are based in each country."""
    index = {c: i for i, c in enumerate(countries)}
    pairs = sorted((index[c], k) for k, cs in enumerate(cands.countries) for c in cs if c in index)
    member = np.array([k for _, k in pairs], dtype=np.int64)
    country = np.array([c for c, _ in pairs], dtype=np.int64)
    size = np.bincount(country, minlength=len(countries)) if pairs else np.zeros(len(countries))
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    return member, start, size.astype(np.int64)


def _pick_listed(
    cands: _ListedCandidates,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray],
    slot_country: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A candidate per listed slot: one based in the slot's country when the list has any."""
    member, start, size = groups
    local = size[slot_country] > 0
    out = rng.choice(len(cands), slot_country.shape[0], p=cands.weight / cands.weight.sum())
    sizes = np.maximum(size[slot_country], 1)
    offset = _skewed_index(rng, sizes, 1.5)
    out[local] = member[(start[slot_country] + offset)[local]]
    return out


# --------------------------------------------------------------------------------------------
# Assembly


def _vague_descriptions(
    vocab: dict[str, Any], is_chpl: np.ndarray, lang: np.ndarray, rng: np.random.Generator
) -> pa.Array:
    """A vague description per row, from the pool for its kind of goods and language."""
    texts: list[str] = []
    index = np.zeros(is_chpl.shape[0], dtype=np.int64)
    for kind, kind_rows in (("chpl", is_chpl), ("other", ~is_chpl)):
        for code, lang_rows in (("en", lang == 0), ("ru", lang == 1)):
            pool = vocab["vague_descriptions"][kind][code]
            rows = np.flatnonzero(kind_rows & lang_rows)
            index[rows] = len(texts) + rng.integers(0, len(pool), rows.size)
            texts.extend(pool)
    return pa.array(texts, pa.string()).take(pa.array(index))


def _days(start: str, end: str, n: int, rng: np.random.Generator) -> np.ndarray:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    epoch = date(1970, 1, 1)
    offset = (first - epoch).days
    return np.sort(rng.integers(offset, (last - epoch).days + 1, n)).astype(np.int32)


@dataclass(frozen=True)
class _RowGoods:
    good: np.ndarray
    """index into the goods catalogue"""
    hs_code: pa.Array
    description: pa.Array
    unit: np.ndarray
    quantity: np.ndarray
    value: np.ndarray


def _draw_goods(
    vocab: dict[str, Any],
    goods: _Goods,
    is_chpl: np.ndarray,
    eaeu: np.ndarray,
    rng: np.random.Generator,
) -> _RowGoods:
    """Goods per row, written as the reporting country writes codes and descriptions."""
    n = is_chpl.shape[0]
    good = np.where(
        is_chpl,
        rng.choice(len(goods.hs6), n, p=goods.chpl_p),
        rng.choice(len(goods.hs6), n, p=goods.other_p),
    )
    fmt = np.zeros(n, dtype=np.int64)
    for region, rows in (("eaeu", eaeu), ("other", ~eaeu)):
        keys, p = _weights(vocab["hs_formats"][region])
        picks = np.array([HS_FORMATS.index(k) for k in keys])
        fmt[rows] = picks[rng.choice(len(keys), int(rows.sum()), p=p)]
    hs_code = goods.codes.take(pa.array(good * len(HS_FORMATS) + fmt))

    ru_share = vocab["russian_share"]
    lang = (rng.random(n) < np.where(eaeu, ru_share["eaeu"], ru_share["other"])).astype(int)
    desc_index = goods.desc_start[good, lang] + (
        rng.random(n) * goods.desc_count[good, lang]
    ).astype(np.int64)
    vague_share = vocab["vague_share"]
    vague = rng.random(n) < np.where(is_chpl, vague_share["chpl"], vague_share["other"])
    description = pc.if_else(
        pa.array(vague),
        _vague_descriptions(vocab, is_chpl, lang, rng),
        goods.descriptions.take(pa.array(desc_index)),
    )

    unit = goods.unit[good]
    quantity = goods.qty[good] * rng.lognormal(0.0, 1.0, n)
    discrete = np.isin(unit, list(_DISCRETE_UNITS))
    quantity = np.where(discrete, np.maximum(1.0, np.round(quantity)), np.round(quantity, 1))
    quantity = np.maximum(quantity, 0.1)
    value = np.round(quantity * goods.price[good] * rng.lognormal(0.0, 0.45, n), 2)
    return _RowGoods(good, hs_code, description, unit, quantity, value)


@dataclass(frozen=True)
class _RowParties:
    exporter: pa.Array
    importer: pa.Array
    exporter_truth: dict[str, pa.Array]
    importer_truth: dict[str, pa.Array]


def _draw_parties(
    vocab: dict[str, Any],
    countries: list[str],
    routes: _Routes,
    exp_listed: np.ndarray,
    imp_listed: np.ndarray,
    list_table: pa.Table,
    seed: int,
) -> _RowParties:
    """Clean companies of each slot's country, or rewritten list names for listed slots."""
    n = exp_listed.shape[0]
    slots = np.bincount(routes.exporter_country, minlength=len(countries)) + np.bincount(
        routes.destination, minlength=len(countries)
    )
    listed_keys = pc.unique(_name_key(list_table["name"]))
    clean = _build_clean_pool(vocab, countries, slots, listed_keys, seed)
    rng = _rng(seed, "party_rows")
    exp_name = clean.start[routes.exporter_country] + _skewed_index(
        rng, clean.size[routes.exporter_country], 2.0
    )
    imp_name = clean.start[routes.destination] + _skewed_index(
        rng, clean.size[routes.destination], 2.0
    )
    imp_inn, imp_kpp = clean.inn.take(pa.array(imp_name)), clean.kpp.take(pa.array(imp_name))
    names = clean.names
    exp_cand = np.full(n, -1)
    imp_cand = np.full(n, -1)
    imp_truncated = np.zeros(n, dtype=bool)
    cands = _ListedCandidates([], [], [], np.zeros(0), [], [], [], np.zeros(0, dtype=bool))
    variants: _ListedVariants | None = None
    if exp_listed.any() or imp_listed.any():
        cands = _listed_candidates(list_table, vocab, countries, seed)
        if len(cands) == 0:
            raise ValueError(
                "list_table has no organisation names to derive listed parties from "
                "(need entity_type 'entity', or an organisation word, in primary/alias names)"
            )
        variants = _build_listed_variants(cands, vocab, seed)
        groups = _candidate_groups(cands, countries)
        per = int(vocab["listed_names"]["variants_per_entity"])
        for listed, slot_country, cand_out, name_out in (
            (exp_listed, routes.exporter_country, exp_cand, exp_name),
            (imp_listed, routes.destination, imp_cand, imp_name),
        ):
            rows = np.flatnonzero(listed)
            cand_out[rows] = _pick_listed(cands, groups, slot_country[rows], rng)
            name_out[rows] = (
                len(clean.names) + cand_out[rows] * per + rng.integers(0, per, rows.size)
            )
        names = pa.concat_arrays([clean.names, variants.names])
        safe = pa.array(np.where(imp_cand >= 0, imp_cand, len(cands)))
        imp_rows = pa.array(imp_listed)
        imp_inn = pc.if_else(
            imp_rows, pa.array([*cands.inn, None], pa.string()).take(safe), imp_inn
        )
        imp_kpp = pc.if_else(
            imp_rows, pa.array([*cands.kpp, None], pa.string()).take(safe), imp_kpp
        )
        imp_truncated[imp_listed] = variants.truncated[imp_name[imp_listed] - len(clean.names)]

    # Russian import declarations glue the importer's INN and KPP to its name
    prefixed = (
        (routes.destination == countries.index("RU"))
        & ~pc.is_null(imp_inn).to_numpy(zero_copy_only=False)
        & ~imp_truncated
        & (rng.random(n) < vocab["listed_names"]["inn_prefix_share"])
    )
    importer = names.take(pa.array(imp_name))
    importer = pc.if_else(
        pa.array(prefixed), pc.binary_join_element_wise(imp_inn, imp_kpp, importer, " "), importer
    )
    importer_truth = _truth_columns(
        cands, variants, len(clean.names), imp_cand, imp_name, "importer"
    )
    variant_ops = importer_truth["truth_importer_name_variant"]
    inn_op = pc.if_else(pa.array(prefixed & imp_listed), "inn_prefix", None)
    importer_truth["truth_importer_name_variant"] = pc.if_else(
        pa.array(imp_listed), _join_ops([variant_ops, inn_op]), variant_ops
    )
    return _RowParties(
        exporter=names.take(pa.array(exp_name)),
        importer=importer,
        exporter_truth=_truth_columns(
            cands, variants, len(clean.names), exp_cand, exp_name, "exporter"
        ),
        importer_truth=importer_truth,
    )


def _truth_columns(
    cands: _ListedCandidates,
    variants: _ListedVariants | None,
    n_clean: int,
    cand: np.ndarray,
    name_index: np.ndarray,
    role: str,
) -> dict[str, pa.Array]:
    """Which list entry a party name came from and how it was rewritten (null for clean names)."""
    take = pa.array(np.where(cand >= 0, cand, len(cands)))
    variant = pa.array(np.where(cand >= 0, name_index - n_clean, 0))
    listed = pa.array(cand >= 0)
    null = pa.nulls(cand.shape[0], pa.string())
    base = variants.base_names.take(variant) if variants is not None else null
    ops = variants.ops.take(variant) if variants is not None else null
    return {
        f"truth_{role}_list_source": pa.array([*cands.list_source, None], pa.string()).take(take),
        f"truth_{role}_source_id": pa.array([*cands.source_id, None], pa.string()).take(take),
        f"truth_{role}_list_name": pc.if_else(listed, base, null),
        f"truth_{role}_name_variant": pc.if_else(listed, ops, null),
    }


def generate_trade_records(
    n_rows: int,
    *,
    seed: int = 7,
    list_table: pa.Table,
    listed_share: float = 0.03,
    chpl_share: float = 0.08,
    start: str = "2022-01-01",
    end: str = "2025-06-30",
    include_truth: bool = False,
    chpl_table: pa.Table | None = None,
) -> pa.Table:
    """``n_rows`` synthetic customs records (TRADE_COLUMNS), plus TRUTH_COLUMNS if asked.

    ``listed_share`` is the share of party slots (exporter and importer each) filled with a
    rewritten real list name from ``list_table`` (LIST_ENTRY_SCHEMA); ``chpl_share`` the share
    of rows with a CHPL code (from ``chpl_table``, default the bundled CHPL). Rows are in date
    order. Same seed, list table and arguments give the same table.
    """
    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    for label, share in (("listed_share", listed_share), ("chpl_share", chpl_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{label} must be between 0 and 1, got {share}")
    missing = [c for c in _LIST_COLUMNS if c not in list_table.column_names]
    if missing:
        raise ValueError(f"list_table lacks LIST_ENTRY_SCHEMA column(s): {', '.join(missing)}")
    days = _days(start, end, n_rows, _rng(seed, "dates"))
    vocab = load_sample_vocabulary()
    countries = list(vocab["countries"])
    goods = _build_goods(vocab, chpl_table if chpl_table is not None else load_chpl(), seed)

    rng = _rng(seed, "rows")
    is_chpl = rng.random(n_rows) < chpl_share
    exp_listed = rng.random(n_rows) < listed_share
    imp_listed = rng.random(n_rows) < listed_share
    routes = _draw_routes(vocab, countries, is_chpl | exp_listed | imp_listed, seed)
    eaeu = np.isin(routes.destination, [countries.index(c) for c in vocab["eaeu"]])
    row_goods = _draw_goods(vocab, goods, is_chpl, eaeu, rng)
    parties = _draw_parties(vocab, countries, routes, exp_listed, imp_listed, list_table, seed)

    country_rng = _rng(seed, "country_spelling")
    serial = pc.cast(pa.array(np.arange(1, n_rows + 1)), pa.string())
    columns: dict[str, pa.Array] = {
        "RECORD_ID": pc.binary_join_element_wise("SMP-", pc.utf8_lpad(serial, 8, "0"), ""),
        "DATE": pc.cast(pa.array(days, pa.date32()), pa.string()),
        "EXPORTER_NAME": parties.exporter,
        "IMPORTER_NAME": parties.importer,
        "ORIGIN_COUNTRY": _country_spellings(vocab, countries, routes.origin, country_rng),
        "DESTINATION_COUNTRY": _country_spellings(
            vocab, countries, routes.destination, country_rng
        ),
        "HS_CODE": row_goods.hs_code,
        "PRODUCT_DESCRIPTION": row_goods.description,
        "VALUE_USD": pa.array(row_goods.value, pa.float64()),
        "QUANTITY": pa.array(row_goods.quantity, pa.float64()),
        "UNIT": pa.array(row_goods.unit, pa.string()),
    }
    if include_truth:
        good = pa.array(row_goods.good)
        columns.update(parties.exporter_truth)
        columns.update(parties.importer_truth)
        columns["truth_hs6"] = pa.array(goods.hs6, pa.string()).take(good)
        columns["truth_chpl_tier"] = pa.array(goods.tier, pa.string()).take(good)
        columns["truth_route"] = pa.array(ROUTE_KINDS, pa.string()).take(pa.array(routes.kind))
    return pa.table(columns)
