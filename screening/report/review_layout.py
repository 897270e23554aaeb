"""The flagged file an analyst reviews: one row per distinct case, columns in reading order.

Why this layout: a run over a vendor's files flagged the same shipment pair 21 times, so the
analyst reviewed 21 identical lines; the decision columns sat last, behind 50 technical ones;
values showed as ``56.03020833333336``; and an entity matched through two of its aliases looked
like two cases. Here records that are the same case (same parties, same listed entries, same
HS6, same route) become one row with the number of records and their ids, the list entry is
identified once whatever alias matched, and each entry links to its publisher's page.

Everything here works on the flagged records only (a bounded table, also in streamed runs);
``screened.parquet`` stays one row per record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from anyascii import anyascii

from screening.report.links import entry_links

ROLES = ("exporter", "importer")
DECISION_COLUMNS = ("analyst_decision", "analyst_note")
"""Left empty for the reviewer: cleared / confirmed / escalated, and a note."""
PREVIOUS_DECISION_COLUMNS = ("previous_decision", "decided_by", "decided_at")
"""Filled by the decisions store when an earlier decision applies (shown when present)."""
RISK_COLUMNS = ("risk_level", "risk_points", "risk_reasons")
GROUP_COLUMNS = ("record_count", "record_ids", "date", "date_last")
MATCH_SUFFIXES = ("name", "list_source", "source_id", "link", "score", "explanation")
GOODS_COLUMNS = (
    "hs_code",
    "hs6",
    "chpl_tier",
    "chpl_description",
    "chpl_possible_tier",
    "goods_category",
    "description",
    "description_signal",
    "value",
    "quantity",
)
ROUTE_COLUMNS = (
    "origin_country",
    "destination_country",
    "route",
    "route_reason",
    "route_chain_count",
)
SOURCE_PREFIX = "src_"
ENTITY_VIEW_COLUMNS = (
    "list_source",
    "source_id",
    "matched_names",
    "link",
    "roles",
    "parties_as_written",
    "cases",
    "records",
    "best_score",
    "highest_risk",
    "value_total",
    "hs6",
    "routes",
    "first_date",
    "last_date",
)
CASE_COLUMNS = (
    "record_id",
    "date",
    "value",
    "quantity",
    *(f"{role}{suffix}" for role in ROLES for suffix in ("", "_match_name")),
    *(f"{role}_match_{suffix}" for role in ROLES for suffix in ("list_source", "source_id")),
    "hs6",
    "route",
)
"""The columns :func:`group_cases` makes cases of (the rest is taken from each case's first
record)."""
MONEY_DECIMALS = 2
SCORE_DECIMALS = 1
MAX_IDS_PER_ROW = 1000
"""Record ids listed in one row; beyond, the cell says how many more (a spreadsheet cell holds
32,767 characters at most)."""


def party_columns(role: str) -> list[str]:
    return [role] + [f"{role}_match_{suffix}" for suffix in MATCH_SUFFIXES]


def reading_order(columns: Sequence[str]) -> list[str]:
    """Decision columns, risk, the group, parties and matches, goods, route, technical, src_*."""
    named = [
        *DECISION_COLUMNS,
        *PREVIOUS_DECISION_COLUMNS,
        *RISK_COLUMNS,
        *GROUP_COLUMNS,
        *(c for role in ROLES for c in party_columns(role)),
        *GOODS_COLUMNS,
        *ROUTE_COLUMNS,
    ]
    present = set(columns)
    leading = [c for c in named if c in present]
    technical = [c for c in columns if c not in leading and not c.startswith(SOURCE_PREFIX)]
    vendor = [c for c in columns if c.startswith(SOURCE_PREFIX)]
    return leading + technical + vendor


def party_key(name: str | None) -> str:
    """A party as written, compared without case, accents or spacing (ALİ SALİM = Ali Salim)."""
    return " ".join(anyascii(name or "").casefold().split())


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.schema.get_field_index(name), name, values)
    return table.append_column(name, values)


def _party_keys(names: pa.ChunkedArray | pa.Array) -> pa.Array:
    """:func:`party_key` of every name, computed once per distinct name."""
    values = names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names
    encoded = pc.dictionary_encode(values.cast(pa.string()))
    keys = pa.array([party_key(n) for n in encoded.dictionary.to_pylist()], pa.string())
    return pc.fill_null(keys.take(encoded.indices), "")


def case_keys(flagged: pa.Table) -> pa.Table:
    """What makes two flagged records the same case: both parties (as written), the listed
    entry each matched (not the alias it matched through), the HS6 code and the route."""
    keys: dict[str, pa.Array | pa.ChunkedArray] = {}
    for role in ROLES:
        if role in flagged.column_names:
            keys[role] = _party_keys(flagged[role])
        for suffix in ("list_source", "source_id"):
            column = f"{role}_match_{suffix}"
            if column in flagged.column_names:
                keys[column] = pc.fill_null(flagged[column].cast(pa.string()), "")
    for column in ("hs6", "route"):
        if column in flagged.column_names:
            keys[column] = pc.fill_null(flagged[column].cast(pa.string()), "")
    return pa.table(keys) if keys else pa.table({"_": pa.array([""] * flagged.num_rows)})


def case_numbers(flagged: pa.Table) -> np.ndarray:
    """The case of every record, numbered in order of first appearance (review order).

    Each key column is encoded as integers, and the codes are combined column by column
    (renumbered after each, so they stay small): a million flagged records need a few
    integer arrays, not one joined text per record."""
    combined: np.ndarray | None = None
    for column in case_keys(flagged).columns:
        values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encoded = pc.dictionary_encode(values, null_encoding="encode")
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if combined is None:
            combined = codes
        else:
            pairs = combined * len(encoded.dictionary) + codes
            combined = np.unique(pairs, return_inverse=True)[1].reshape(-1)
    if combined is None or combined.size == 0:
        return np.zeros(flagged.num_rows, dtype=np.int64)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first), dtype=np.int64)
    return rank[inverse.reshape(-1)]


class Cases:
    """Records grouped by case: positions sorted by case (input order within a case)."""

    def __init__(self, case: np.ndarray) -> None:
        self.case = case
        self.order = np.argsort(case, kind="stable")
        self.sorted_case = case[self.order]
        self.count = int(case.max()) + 1 if case.size else 0
        self.sizes = np.bincount(case, minlength=self.count)
        self.first = self.order[np.concatenate([[0], np.cumsum(self.sizes)[:-1]])]

    def lists(self, values: pa.Array, keep: np.ndarray) -> pa.ListArray:
        """Per case, the values at the sorted positions where ``keep`` holds."""
        taken = values.take(pa.array(self.order))
        kept = keep[self.order]
        sizes = np.bincount(self.sorted_case[kept], minlength=self.count)
        offsets = pa.array(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32))
        return pa.ListArray.from_arrays(offsets, taken.filter(pa.array(kept)))


def _joined_ids(cases: Cases, ids: pa.ChunkedArray) -> pa.Array:
    """Record ids of each case, "; "-joined; beyond MAX_IDS_PER_ROW, how many more."""
    values = ids.combine_chunks().cast(pa.string())
    lists = cases.lists(values, values.is_valid().to_numpy(zero_copy_only=False))
    shown = pc.binary_join(pc.list_slice(lists, 0, MAX_IDS_PER_ROW), "; ")
    lengths = pc.list_value_length(lists).to_numpy()
    over = np.flatnonzero(lengths > MAX_IDS_PER_ROW)
    if over.size == 0:
        return shown
    text = shown.to_pylist()
    for i in over:
        text[i] = f"{text[i]}; … and {lengths[i] - MAX_IDS_PER_ROW} more"
    return pa.array(text, pa.string())


def _distinct_joined_per_case(cases: Cases, column: pa.ChunkedArray) -> pa.Array:
    """The distinct non-empty texts of each case, "; "-joined in order of appearance (null
    for a case without any)."""
    values = column.combine_chunks().cast(pa.string())
    pairs = pa.table(
        {
            "case": pa.array(cases.case),
            "value": values,
            "position": pa.array(np.arange(len(values))),
        }
    ).filter(pc.and_(pc.is_valid(values), pc.not_equal(values, "")))
    distinct = (
        pairs.group_by(["case", "value"], use_threads=False)
        .aggregate([("position", "min")])
        .sort_by([("case", "ascending"), ("position_min", "ascending")])
    )
    sizes = np.bincount(distinct["case"].to_numpy(), minlength=cases.count)
    offsets = pa.array(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, distinct["value"].combine_chunks())
    joined = pc.binary_join(lists, "; ")
    return pc.if_else(pa.array(sizes > 0), joined, pa.scalar(None, pa.string()))


def _per_case(cases: Cases, column: pa.ChunkedArray, how: str) -> pa.Array:
    """One aggregate (min, max, sum) of a column per case, in case order."""
    grouped = (
        pa.table({"case": pa.array(cases.case), "value": column})
        .group_by("case", use_threads=False)
        .aggregate([("value", how)])
        .sort_by("case")
    )
    return grouped[f"value_{how}"].combine_chunks()


def _without_empty(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)


def _without_nan(column: pa.ChunkedArray) -> pa.ChunkedArray:
    values = column.cast(pa.float64())
    return pc.if_else(pc.is_nan(values), pa.scalar(None, pa.float64()), values)


RowTaker = Callable[[np.ndarray], pa.Table]
"""Positions of flagged records -> those records with every column (in the given order)."""


def group_cases(flagged: pa.Table, take_rows: RowTaker | None = None) -> pa.Table:
    """One row per case (records in review order in, first record of each case kept), with
    ``record_count``, ``record_ids``, the first and last ``date``, the summed value and
    quantity, and every party spelling and matched alias of the case.

    ``take_rows`` fetches the kept records with all their columns when ``flagged`` holds
    only the columns cases are made of (:data:`CASE_COLUMNS`): a streamed run keeps its
    flagged records on disk and reads each column once. Vectorised (pyarrow group_by and
    list kernels): a million flagged records group in seconds."""
    take = take_rows or (lambda positions: flagged.take(pa.array(positions)))
    if flagged.num_rows == 0:
        out = take(np.zeros(0, dtype=np.int64))
        out = _set(out, "record_count", pa.array([], pa.int64()))
        return _set(out, "record_ids", pa.array([], pa.string()))
    cases = Cases(case_numbers(flagged))
    return case_rows(flagged, cases, take(cases.first))


def case_rows(flagged: pa.Table, cases: Cases, first_records: pa.Table) -> pa.Table:
    """The cases' rows: ``first_records`` (each case's first record with every column, in
    case order) with the case's counts, ids, dates, sums and spellings from ``flagged``.

    ``flagged`` may be the records of some cases only (a chunk of a large run, with
    ``cases`` numbered from 0 within it): every figure is computed within a case, records in
    review order, so a chunk's rows equal those rows of the whole table."""
    out = first_records
    out = _set(out, "record_count", pa.array(cases.sizes, pa.int64()))
    if "record_id" in flagged.column_names:
        out = _set(out, "record_ids", _joined_ids(cases, flagged["record_id"]))
    if "date" in flagged.column_names:
        dates = _without_empty(flagged["date"].cast(pa.string()))
        out = _set(out, "date", _per_case(cases, dates, "min"))
        out = _set(out, "date_last", _per_case(cases, dates, "max"))
    for column in ("value", "quantity"):
        if column in flagged.column_names:
            total = _per_case(cases, _without_nan(flagged[column]), "sum")
            out = _set(out, column, pc.fill_null(total, float("nan")))
    for role in ROLES:
        for column in (role, f"{role}_match_name"):
            if column in flagged.column_names:
                out = _set(out, column, _distinct_joined_per_case(cases, flagged[column]))
    return out


def round_numbers(table: pa.Table) -> pa.Table:
    """Money and quantities to cents, match scores to one decimal: what a reader compares.

    Rounded values become decimals, so files show ``56.03`` rather than the nearest binary
    float ``56.030000000000001``; NaN and infinities become empty cells."""
    for index, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            decimals = SCORE_DECIMALS if field.name.endswith("_score") else MONEY_DECIMALS
            values = table[field.name]
            finite = pc.if_else(pc.is_finite(values), values, pa.scalar(None, field.type))
            rounded = pc.round(finite, decimals).cast(pa.decimal128(38, decimals), safe=False)
            table = table.set_column(index, pa.field(field.name, rounded.type), rounded)
    return table


def add_entry_links(table: pa.Table) -> pa.Table:
    """``<role>_match_link``: the official page of the matched entry (or its list's search)."""
    for role in ROLES:
        source, ident = f"{role}_match_list_source", f"{role}_match_source_id"
        if source in table.column_names and ident in table.column_names:
            table = _set(table, f"{role}_match_link", entry_links(table[source], table[ident]))
    return table


def lay_out_cases(cases: pa.Table) -> pa.Table:
    """Grouped cases as the review file shows them: entry links added, numbers rounded."""
    return round_numbers(add_entry_links(cases))


def filled_columns(table: pa.Table) -> set[str]:
    """The columns with at least one value (the review file drops the others)."""
    return {c for c in table.column_names if table[c].null_count < table.num_rows}


def finish_review(table: pa.Table, keep: Collection[str]) -> pa.Table:
    """Laid-out cases with only the ``keep`` columns (and the previous decisions), the empty
    decision columns added, in reading order. The same ``keep`` for every chunk of a run
    gives every chunk the same columns."""
    wanted = set(keep) | set(PREVIOUS_DECISION_COLUMNS)
    table = table.select([c for c in table.column_names if c in wanted])
    for column in DECISION_COLUMNS:
        if column not in table.column_names:
            table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    return table.select(reading_order(table.column_names))


def review_table(flagged: pa.Table, take_rows: RowTaker | None = None) -> pa.Table:
    """The flagged records (in review order) as the analyst's review file: cases grouped,
    numbers rounded, entry links added, empty columns dropped, decision columns first.
    (``take_rows``: see :func:`group_cases`; a large run builds the same file chunk by
    chunk, see :mod:`screening.report.case_chunks`.)"""
    table = lay_out_cases(group_cases(flagged, take_rows))
    keep = filled_columns(table) if table.num_rows else set(table.column_names)
    return finish_review(table, keep)


def _column(table: pa.Table, name: str, kind: pa.DataType) -> pa.Array | pa.ChunkedArray:
    if name in table.column_names:
        return table[name].cast(kind)
    return pa.nulls(table.num_rows, kind)


def entity_rows(review: pa.Table, role: str) -> pa.Table | None:
    """One row per case whose ``role`` party matched a list entry (None without matches).

    What :func:`listed_entities` groups; a large run collects them chunk by chunk."""
    levels = pa.array(list(_risk_levels()))
    source, ident = f"{role}_match_list_source", f"{role}_match_source_id"
    if source not in review.column_names:
        return None
    date = _column(review, "date", pa.string())
    part = pa.table(
        {
            "list_source": _column(review, source, pa.string()),
            "source_id": _column(review, ident, pa.string()),
            "matched_names": _column(review, f"{role}_match_name", pa.string()),
            "link": _column(review, f"{role}_match_link", pa.string()),
            "best_score": _column(review, f"{role}_match_score", pa.float64()),
            "role": pa.array([role] * review.num_rows, pa.string()),
            "party_as_written": _column(review, role, pa.string()),
            "risk_rank": pc.fill_null(
                pc.index_in(_column(review, "risk_level", pa.string()), value_set=levels),
                len(levels),
            ),
            "record_count": pc.fill_null(_column(review, "record_count", pa.int64()), 1),
            "value": _column(review, "value", pa.float64()),
            "hs6": _column(review, "hs6", pa.string()),
            "route": _column(review, "route", pa.string()),
            "date": date,
            "date_last": pc.coalesce(_column(review, "date_last", pa.string()), date),
        }
    )
    return part.filter(pc.is_valid(part["list_source"]))


ENTITY_TEXTS = {
    "matched_names": True,
    "link": False,
    "role": False,
    "party_as_written": True,
    "hs6": False,
    "route": False,
}
"""The entity rows' text columns the "by party" view lists, and whether a cell holds several
"; "-joined texts to split."""
ENTITY_NUMBERS = ("record_count", "best_score", "risk_rank", "value", "date", "date_last")


def listed_entities(review: pa.Table) -> pa.Table:
    """The "by party" view of a review table (see :class:`EntityTally`)."""
    tally = EntityTally()
    tally.add(review)
    return tally.table()


class EntityTally:
    """The "by party" view: one row per listed entity matched in the run (whatever alias or
    role), with the cases and records behind it, the highest risk, the total value, the goods
    and routes, and the link to the entry.

    Gathered from the review table a chunk of cases at a time (:meth:`add`, chunks in case
    order), as a large run lays it out: the entity rows' figures are kept as a few numbers
    per row and grouped by pyarrow at the end, in the order the whole table would give them
    (every exporter row, then every importer row), so that sums come out the same; their
    texts are reduced chunk by chunk to each entity's distinct texts, in order of
    appearance."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}
        self._numbers: dict[str, list[pa.Table]] = {role: [] for role in ROLES}
        self._texts: dict[str, dict[int, dict[str, dict[str, None]]]] = {r: {} for r in ROLES}

    def add(self, review: pa.Table) -> None:
        """The entity rows of these cases (the next ones in case order)."""
        for role in ROLES:
            rows = entity_rows(review, role)
            if rows is None or rows.num_rows == 0:
                continue
            ids = self._entity_ids(rows)
            numbers = {name: rows[name] for name in ENTITY_NUMBERS}
            self._numbers[role].append(pa.table({"entity": ids, **numbers}))
            listed = (
                pa.table({"entity": ids, **{name: rows[name] for name in ENTITY_TEXTS}})
                .group_by("entity", use_threads=False)
                .aggregate([(name, "list") for name in ENTITY_TEXTS])
            )
            seen = self._texts[role]
            columns = {name: listed[f"{name}_list"].to_pylist() for name in ENTITY_TEXTS}
            for index, entity in enumerate(listed["entity"].to_pylist()):
                texts = seen.setdefault(entity, {name: {} for name in ENTITY_TEXTS})
                for name, split in ENTITY_TEXTS.items():
                    for value in columns[name][index]:
                        for text in value.split("; ") if split and value else (value,):
                            if text:
                                texts[name][text] = None

    def _entity_ids(self, rows: pa.Table) -> np.ndarray:
        """Each row's entity (list source and entry id), numbered across chunks."""
        sources = pc.dictionary_encode(rows["list_source"].combine_chunks())
        idents = pc.dictionary_encode(rows["source_id"].combine_chunks(), null_encoding="encode")
        width = max(1, len(idents.dictionary))
        pairs = sources.indices.to_numpy().astype(np.int64) * width + idents.indices.to_numpy()
        distinct, inverse = np.unique(pairs, return_inverse=True)
        source_names = sources.dictionary.to_pylist()
        ident_names = idents.dictionary.to_pylist()
        found = np.array(
            [
                self._ids.setdefault(
                    (source_names[pair // width], ident_names[pair % width]), len(self._ids)
                )
                for pair in distinct.tolist()
            ],
            dtype=np.int64,
        )
        return found[inverse.reshape(-1)]

    def table(self) -> pa.Table:
        columns = list(ENTITY_VIEW_COLUMNS)
        parts = [part for role in ROLES for part in self._numbers[role]]
        if not parts:
            return pa.table({c: pa.array([], pa.string()) for c in columns})
        rows = pa.concat_tables(parts)
        rows = rows.append_column("position", pa.array(np.arange(rows.num_rows)))
        grouped = (
            rows.group_by("entity", use_threads=False)
            .aggregate(
                [
                    ("position", "min"),
                    ("position", "count"),
                    ("record_count", "sum"),
                    ("best_score", "max"),
                    ("risk_rank", "min"),
                    ("value", "sum"),
                    ("date", "min"),
                    ("date_last", "max"),
                ]
            )
            .sort_by("position_min")
        )
        entities = grouped["entity"].to_pylist()
        keys = list(self._ids)
        seen = {name: [self._seen(e, name) for e in entities] for name in ENTITY_TEXTS}
        texts = {name: ["; ".join(v) if v else None for v in seen[name]] for name in seen}
        levels = list(_risk_levels())
        ranks = grouped["risk_rank_min"].to_pylist()
        out = pa.table(
            {
                "list_source": pa.array([keys[e][0] for e in entities], pa.string()),
                "source_id": pa.array([keys[e][1] for e in entities], pa.string()),
                "matched_names": pa.array(texts["matched_names"], pa.string()),
                "link": pa.array([v[0] if v else None for v in seen["link"]], pa.string()),
                "roles": pa.array(texts["role"], pa.string()),
                "parties_as_written": pa.array(texts["party_as_written"], pa.string()),
                "cases": grouped["position_count"],
                "records": grouped["record_count_sum"],
                "best_score": grouped["best_score_max"],
                "highest_risk": pa.array(
                    [levels[r] if r < len(levels) else None for r in ranks],
                    pa.string(),
                ),
                "value_total": pc.round(grouped["value_sum"], MONEY_DECIMALS),
                "hs6": pa.array(texts["hs6"], pa.string()),
                "routes": pa.array(texts["route"], pa.string()),
                "first_date": grouped["date_min"],
                "last_date": grouped["date_last_max"],
            }
        )
        return out.sort_by([("records", "descending"), ("cases", "descending")]).select(columns)

    def _seen(self, entity: int, name: str) -> list[str]:
        """The entity's distinct texts of one column, in order of appearance (exporter rows
        first, as the whole table lists them)."""
        found = (t for role in ROLES for t in self._texts[role].get(entity, {}).get(name, {}))
        return list(dict.fromkeys(found))


def _risk_levels() -> tuple[str, ...]:
    from screening.risk.score import RISK_LEVELS

    return tuple(RISK_LEVELS)
