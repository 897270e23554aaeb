"""Classify HS codes against goods categories: one function for the pipeline and the CLI.

Each value is normalised (:mod:`screening.hs.codes`), read in its HS edition
(:mod:`screening.hs.vintage`) and matched against every category (:mod:`screening.hs.categories`)
by longest prefix. ``status`` tells how sure the match is:

    exact     the code falls under a listed prefix: the goods are certainly listed
    possible  they may be: the code was split between editions and only some of its
              candidates are listed, or the list names only a longer (national) code under
              it; ``candidates`` names the listed codes it may be
    none      a valid code that no category lists
    invalid   the value cannot be read as an HS code (``hs_issue`` says why)
    missing   the value is empty

Work is done once per distinct (value, date) and taken back onto the rows, so a 10M-row column
with 20k distinct codes costs a few hash passes plus short loops over the distinct codes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from screening.hs.categories import CATEGORY_SCHEMA, load_categories
from screening.hs.codes import INVALID, MISSING, _as_strings, normalise_hs_codes
from screening.hs.vintage import (
    CURRENT_EDITION,
    check_edition,
    correlation_pairs,
    resolve_editions,
)
from screening.io.trade import parse_trade_date

EXACT, POSSIBLE, NONE = "exact", "possible", "none"
STATUSES = (EXACT, POSSIBLE, NONE, INVALID, MISSING)
JOIN = "; "
"""Separator when several categories, tiers or descriptions apply to one code."""

CLASSIFICATION_SCHEMA = pa.schema(
    [
        pa.field("input", pa.string()),
        pa.field("code", pa.string()),
        pa.field("hs6", pa.string()),
        pa.field("category", pa.string()),
        pa.field("tier", pa.string()),
        pa.field("description", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("candidates", pa.list_(pa.string())),
        pa.field("hs_issue", pa.string()),
    ]
)

Values = pa.Array | pa.ChunkedArray | Sequence[object]


def classify_hs_codes(
    values: Values,
    categories: pa.Table | None = None,
    *,
    vintage: str | int | None = None,
    dates: Values | None = None,
) -> pa.Table:
    """One CLASSIFICATION_SCHEMA row per value, in input order.

    ``categories`` defaults to the bundled ones (:func:`load_categories`). ``vintage`` forces
    the HS edition of every code ("2017" or "2022"); ``None`` reads a code as HS 2022 unless it
    exists only in HS 2017. ``dates`` (one per value: ISO text, dates or anything
    ``parse_trade_date`` reads) restrict matches to category entries in force on that day; an
    unreadable or missing date keeps every entry, so a bad date never hides a listed code.

    Several matching categories are joined with ``"; "`` in load order in ``category``,
    ``tier`` and ``description``; with one category (the bundled CHPL) they hold its values as
    written.
    """
    edition = check_edition(None if vintage is None else str(vintage), allow_none=True)
    categories = _with_defaults(load_categories() if categories is None else categories)
    raw = _as_strings(values).combine_chunks()
    if dates is not None and _has_windows(categories):
        day_texts = _as_strings(dates).combine_chunks()
        if len(day_texts) != len(raw):
            raise ValueError(f"{len(day_texts)} dates for {len(raw)} values")
        distinct_raw, distinct_days, positions = _distinct_pairs(raw, day_texts)
    else:
        encoded = raw.dictionary_encode(null_encoding="encode")
        distinct_raw, distinct_days, positions = encoded.dictionary, None, encoded.indices
    result = _classify_distinct(distinct_raw, distinct_days, categories, edition)
    columns = {"input": raw}
    for name in CLASSIFICATION_SCHEMA.names[1:]:
        columns[name] = result[name].take(positions)
    return pa.table(columns, schema=CLASSIFICATION_SCHEMA)


# --------------------------------------------------------------------------- distinct keys


def _distinct_pairs(raw: pa.Array, days: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Distinct (value, date) pairs and each row's position among them: integer hashing only."""
    raw_codes = raw.dictionary_encode(null_encoding="encode")
    day_codes = days.dictionary_encode(null_encoding="encode")
    width = max(len(day_codes.dictionary), 1)
    keys = pc.add(
        pc.multiply(raw_codes.indices.cast(pa.int64()), width), day_codes.indices.cast(pa.int64())
    )
    distinct = pc.unique(keys)
    positions = pc.index_in(keys, value_set=distinct)
    raw_of = raw_codes.dictionary.take(pc.divide(distinct, width))
    day_of = day_codes.dictionary.take(
        pc.subtract(distinct, pc.multiply(pc.divide(distinct, width), width))
    )
    return raw_of, day_of, positions


def _with_defaults(categories: pa.Table) -> pa.Table:
    """A category table with every CATEGORY_SCHEMA column (optional ones filled)."""
    required = ("code_prefix", "category", "tier", "description")
    missing = [c for c in required if c not in categories.column_names]
    if missing:
        raise ValueError(f"category table lacks {missing}; load it with load_categories()")
    n = categories.num_rows
    defaults = {
        "source": pa.nulls(n, pa.string()),
        "valid_from": pa.nulls(n, pa.date32()),
        "valid_to": pa.nulls(n, pa.date32()),
        "hs_edition": pa.array([CURRENT_EDITION] * n, pa.string()),
        "source_file": pa.nulls(n, pa.string()),
        "source_row": pa.nulls(n, pa.int32()),
    }
    columns = {
        name: categories[name].cast(CATEGORY_SCHEMA.field(name).type)
        if name in categories.column_names
        else defaults[name]
        for name in CATEGORY_SCHEMA.names
    }
    return pa.table(columns).combine_chunks()


def _has_windows(categories: pa.Table) -> bool:
    return categories["valid_from"].null_count + categories["valid_to"].null_count < (
        2 * categories.num_rows
    )


def _day_range(text: str | None) -> tuple[dt.date | None, dt.date | None]:
    """The days a record date may mean: one day, a whole month, or unknown (None, None)."""
    iso = parse_trade_date(text) if text else None
    if iso is None:
        return None, None
    if len(iso) == 7:
        year, month = int(iso[:4]), int(iso[5:])
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, 1), dt.date(year, month, last)
    day = dt.date.fromisoformat(iso)
    return day, day


# --------------------------------------------------------------------------- matching


def _prefix_matches(probes: pa.Table, categories: pa.Table) -> pa.Table:
    """probe, row, length, full: every category row whose prefix covers a probe code (full)
    or extends it (a longer, national prefix under it). A few hash joins per prefix length."""
    prefix_length = pc.utf8_length(categories["code_prefix"])
    code_length = pc.utf8_length(probes["code"])
    rows = pa.array(range(categories.num_rows), pa.int32())
    parts = []
    for length in sorted(set(prefix_length.to_pylist())):
        listed = pa.table({"key": categories["code_prefix"], "row": rows}).filter(
            pc.equal(prefix_length, length)
        )
        covered = probes.filter(pc.greater_equal(code_length, length))
        covered = pa.table(
            {"probe": covered["probe"], "key": pc.utf8_slice_codeunits(covered["code"], 0, length)}
        )
        parts.append(_join(covered, listed, length, full=True))
        for shorter in sorted({n for n in code_length.to_pylist() if n < length}):
            under = probes.filter(pc.equal(code_length, shorter))
            extended = pa.table(
                {"key": pc.utf8_slice_codeunits(listed["key"], 0, shorter), "row": listed["row"]}
            )
            parts.append(_join(under.rename_columns({"code": "key"}), extended, length, full=False))
    return pa.concat_tables(parts) if parts else _no_matches()


def _no_matches() -> pa.Table:
    return pa.table(
        {
            "probe": pa.array([], pa.int64()),
            "row": pa.array([], pa.int32()),
            "length": pa.array([], pa.int32()),
            "full": pa.array([], pa.bool_()),
        }
    )


def _join(left: pa.Table, right: pa.Table, length: int, full: bool) -> pa.Table:
    if left.num_rows == 0 or right.num_rows == 0:
        return _no_matches()
    joined = left.select(["probe", "key"]).join(right, "key", join_type="inner", use_threads=False)
    return pa.table(
        {
            "probe": joined["probe"].cast(pa.int64()),
            "row": joined["row"].cast(pa.int32()),
            "length": pa.array([length] * joined.num_rows, pa.int32()),
            "full": pa.array([full] * joined.num_rows, pa.bool_()),
        }
    )


@dataclass
class _Probe:
    """One code compared with one edition's categories: the key's own code, or a candidate."""

    key: int
    code: str
    edition: str
    converted: bool
    full: dict[int, list[int]] = field(default_factory=dict)
    """category index -> category rows of the longest covering prefix (several when dated
    entries of one prefix all may apply)."""
    longer: dict[int, list[int]] = field(default_factory=dict)
    """category index -> category rows of longer prefixes under the code."""


@dataclass
class _Outcome:
    status: str
    category: str | None = None
    tier: str | None = None
    description: str | None = None
    candidates: list[str] | None = None


def _build_probes(
    codes: list[str | None],
    hs6: list[str | None],
    key_editions: list[str | None],
    target_editions: list[str],
) -> tuple[list[_Probe], dict[int, list[str]]]:
    """Probes per (key, target edition), and a note for each key read through the correlation."""
    probes: list[_Probe] = []
    notes: dict[int, list[str]] = {}
    for target in target_editions:
        for source in sorted({e for e in key_editions if e}):
            keys = [i for i, e in enumerate(key_editions) if e == source]
            if source == target:
                probes.extend(_Probe(i, codes[i], target, converted=False) for i in keys)
                continue
            pairs = correlation_pairs(source, target)
            lookup: dict[str, list[str]] = {}
            for a, b in zip(
                pairs["source_hs6"].to_pylist(), pairs["target_hs6"].to_pylist(), strict=True
            ):
                lookup.setdefault(a, []).append(b)
            for i in keys:
                candidates = sorted(set(lookup.get(hs6[i], [])))
                if not candidates:
                    notes.setdefault(i, []).append(
                        f"hs6 {hs6[i]} is not in the HS {source} -> HS {target} correlation; "
                        f"not compared with HS {target} lists"
                    )
                    continue
                notes.setdefault(i, []).append(
                    f"read as HS {source}; compared with HS {target} lists through the UNSD "
                    f"correlation ({_plural(len(candidates), 'candidate')})"
                )
                probes.extend(_Probe(i, c, target, converted=True) for c in candidates)
    return probes, notes


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _attach_matches(
    probes: list[_Probe], categories: pa.Table, day_ranges: list[tuple] | None
) -> None:
    """Fill each probe's full / longer matches, keeping entries in force on the record's day."""
    category_of = _category_indices(categories)
    prefix_length = [len(p) for p in categories["code_prefix"].to_pylist()]
    valid_from = categories["valid_from"].to_pylist()
    valid_to = categories["valid_to"].to_pylist()
    for edition in sorted({p.edition for p in probes}):
        index = [i for i, p in enumerate(probes) if p.edition == edition]
        table = pa.table(
            {
                "probe": pa.array(index, pa.int64()),
                "code": pa.array([probes[i].code for i in index], pa.string()),
            }
        )
        in_edition = pc.equal(categories["hs_edition"], edition)
        rows = pc.indices_nonzero(in_edition).to_pylist()
        matches = _prefix_matches(table, categories.filter(in_edition))
        for probe_id, local_row, length, full in zip(
            matches["probe"].to_pylist(),
            matches["row"].to_pylist(),
            matches["length"].to_pylist(),
            matches["full"].to_pylist(),
            strict=True,
        ):
            row = rows[local_row]
            probe = probes[probe_id]
            if day_ranges is not None and not _in_force(
                day_ranges[probe.key], valid_from[row], valid_to[row]
            ):
                continue
            category = category_of[row]
            if not full:
                probe.longer.setdefault(category, []).append(row)
            elif category not in probe.full or length > prefix_length[probe.full[category][0]]:
                probe.full[category] = [row]
            elif length == prefix_length[probe.full[category][0]]:
                probe.full[category].append(row)


def _category_indices(categories: pa.Table) -> list[int]:
    order = {name: i for i, name in enumerate(dict.fromkeys(categories["category"].to_pylist()))}
    return [order[name] for name in categories["category"].to_pylist()]


def _in_force(day_range: tuple, start: dt.date | None, end: dt.date | None) -> bool:
    first, last = day_range
    if first is None:
        return True
    return (end is None or first <= end) and (start is None or last >= start)


def _outcome(key_probes: list[_Probe], categories: pa.Table) -> _Outcome:
    """exact / possible / none for one key from its probes' matches, category by category.

    Per category and edition: exact when every probe (the code, or each of its candidates in
    the other edition) is covered by a listed prefix, so the goods are certainly listed;
    possible when only some candidates are, or only a longer listed code lies under the code.
    Tiers and descriptions are those of every entry that may apply; candidates name the
    converted codes that are listed and the longer listed codes.
    """
    if not any(p.full or p.longer for p in key_probes):
        return _Outcome(NONE)
    tiers = categories["tier"].to_pylist()
    descriptions = categories["description"].to_pylist()
    prefixes = categories["code_prefix"].to_pylist()
    names = list(dict.fromkeys(categories["category"].to_pylist()))
    statuses: list[str] = []
    matched_names: list[str] = []
    matched_rows: list[list[int]] = []
    candidates: set[str] = set()
    for index, name in enumerate(names):
        for edition in sorted({p.edition for p in key_probes}):
            probes = [p for p in key_probes if p.edition == edition]
            covered = [p for p in probes if index in p.full]
            longer_rows = [r for p in probes for r in p.longer.get(index, [])]
            if not covered and not longer_rows:
                continue
            statuses.append(EXACT if len(covered) == len(probes) else POSSIBLE)
            matched_names.append(name)
            matched_rows.append(
                sorted({r for p in covered for r in p.full[index]} | set(longer_rows))
            )
            candidates.update(p.code for p in covered if p.converted)
            candidates.update(prefixes[r] for r in longer_rows)
    rows = [r for group in matched_rows for r in group]
    return _Outcome(
        EXACT if EXACT in statuses else POSSIBLE,
        category=_join_distinct(matched_names),
        tier=_join_distinct(tiers[r] for r in rows),
        description=_join_distinct(descriptions[r] for r in rows),
        candidates=sorted(candidates) or None,
    )


def _join_distinct(values) -> str | None:
    kept = [v for v in dict.fromkeys(values) if v]
    return JOIN.join(kept) if kept else None


def _classify_distinct(
    raw: pa.Array, day_texts: pa.Array | None, categories: pa.Table, vintage: str | None
) -> pa.Table:
    """The classification of each distinct key (value, or value and date)."""
    hs = normalise_hs_codes(raw)
    codes = hs["hs_code"].to_pylist()
    hs6 = hs["hs6"].to_pylist()
    key_editions = resolve_editions(hs["hs6"], vintage).to_pylist()
    target_editions = sorted(set(categories["hs_edition"].to_pylist()))
    probes, notes = _build_probes(codes, hs6, key_editions, target_editions)
    day_ranges = None if day_texts is None else [_day_range(t) for t in day_texts.to_pylist()]
    _attach_matches(probes, categories, day_ranges)

    by_key: dict[int, list[_Probe]] = {}
    for probe in probes:
        by_key.setdefault(probe.key, []).append(probe)
    statuses = hs["hs_status"].to_pylist()
    issues = hs["hs_issue"].to_pylist()
    outcomes = []
    for key, status in enumerate(statuses):
        if status in (INVALID, MISSING):
            outcomes.append(_Outcome(status))
        else:
            outcomes.append(_outcome(by_key.get(key, []), categories))
        if key in notes:
            issues[key] = JOIN.join(filter(None, [issues[key], *notes[key]]))
    return pa.table(
        {
            "code": hs["hs_code"],
            "hs6": hs["hs6"],
            "category": pa.array([o.category for o in outcomes], pa.string()),
            "tier": pa.array([o.tier for o in outcomes], pa.string()),
            "description": pa.array([o.description for o in outcomes], pa.string()),
            "status": pa.array([o.status for o in outcomes], pa.string()),
            "candidates": pa.array([o.candidates for o in outcomes], pa.list_(pa.string())),
            "hs_issue": pa.array(issues, pa.string()),
        }
    )
