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

from collections.abc import Sequence

import numpy as np
import pandas as pd
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


def case_keys(flagged: pa.Table) -> pd.DataFrame:
    """What makes two flagged records the same case: both parties (as written), the listed
    entry each matched (not the alias it matched through), the HS6 code and the route."""
    keys: dict[str, object] = {}
    for role in ROLES:
        if role in flagged.column_names:
            keys[role] = [party_key(n) for n in flagged[role].to_pylist()]
        for suffix in ("list_source", "source_id"):
            column = f"{role}_match_{suffix}"
            if column in flagged.column_names:
                keys[column] = pc.fill_null(flagged[column].cast(pa.string()), "").to_pylist()
    for column in ("hs6", "route"):
        if column in flagged.column_names:
            keys[column] = pc.fill_null(flagged[column].cast(pa.string()), "").to_pylist()
    return pd.DataFrame(keys, index=pd.RangeIndex(flagged.num_rows))


def _joined_ids(ids: pd.Series) -> str:
    values = [str(v) for v in ids if v is not None and v == v]
    if len(values) <= MAX_IDS_PER_ROW:
        return "; ".join(values)
    shown = "; ".join(values[:MAX_IDS_PER_ROW])
    return f"{shown}; … and {len(values) - MAX_IDS_PER_ROW} more"


def _distinct_joined(values: pd.Series) -> str | None:
    seen = list(dict.fromkeys(v for v in values if isinstance(v, str) and v))
    return "; ".join(seen) if seen else None


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.schema.get_field_index(name), name, values)
    return table.append_column(name, values)


def group_cases(flagged: pa.Table) -> pa.Table:
    """One row per case (records in review order in, first record of each case kept), with
    ``record_count``, ``record_ids``, the first and last ``date``, the summed value and
    quantity, and every party spelling and matched alias of the case."""
    if flagged.num_rows == 0:
        out = flagged
        out = _set(out, "record_count", pa.array([], pa.int64()))
        return _set(out, "record_ids", pa.array([], pa.string()))
    keys = case_keys(flagged)
    case = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(case, return_index=True)
    first = np.sort(first)  # groups in order of first appearance: review order
    order = pd.Series(case).map({c: i for i, c in enumerate(case[first])}).to_numpy()
    frame = pd.DataFrame({"case": order})
    for column in ("record_id", "date", "value", "quantity"):
        if column in flagged.column_names:
            frame[column] = flagged[column].to_pandas()
    for role in ROLES:
        for column in (role, f"{role}_match_name"):
            if column in flagged.column_names:
                frame[column] = flagged[column].to_pandas()
    grouped = frame.groupby("case", sort=True)
    out = flagged.take(pa.array(first))
    out = _set(out, "record_count", pa.array(grouped.size().to_numpy(), pa.int64()))
    if "record_id" in frame:
        out = _set(out, "record_ids", pa.array(grouped["record_id"].agg(_joined_ids), pa.string()))
    if "date" in frame:
        dates = frame["date"].where(frame["date"].notna() & (frame["date"] != ""))
        out = _set(out, "date", pa.array(dates.groupby(frame["case"]).min(), pa.string()))
        out = _set(out, "date_last", pa.array(dates.groupby(frame["case"]).max(), pa.string()))
    for column in ("value", "quantity"):
        if column in frame:
            total = grouped[column].sum(min_count=1)
            out = _set(out, column, pa.array(total.to_numpy(dtype=float), pa.float64()))
    for role in ROLES:
        for column in (role, f"{role}_match_name"):
            if column in frame:
                out = _set(
                    out, column, pa.array(grouped[column].agg(_distinct_joined), pa.string())
                )
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


def review_table(flagged: pa.Table) -> pa.Table:
    """The flagged records (in review order) as the analyst's review file: cases grouped,
    numbers rounded, entry links added, empty columns dropped, decision columns first."""
    table = round_numbers(add_entry_links(group_cases(flagged)))
    keep = (
        [
            c
            for c in table.column_names
            if table[c].null_count < table.num_rows or c in PREVIOUS_DECISION_COLUMNS
        ]
        if table.num_rows
        else table.column_names
    )
    table = table.select(keep)
    for column in DECISION_COLUMNS:
        if column not in table.column_names:
            table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    return table.select(reading_order(table.column_names))


def listed_entities(review: pa.Table) -> pa.Table:
    """The "by party" view: one row per listed entity matched in the run (whatever alias or
    role), with the cases and records behind it, the highest risk, the total value, the goods
    and routes, and the link to the entry."""
    rows: list[dict[str, object]] = []
    for role in ROLES:
        source, ident = f"{role}_match_list_source", f"{role}_match_source_id"
        if source not in review.column_names:
            continue
        for row in review.to_pylist():
            if row.get(source) is None:
                continue
            rows.append(
                {
                    "list_source": row[source],
                    "source_id": row[ident],
                    "matched_names": row.get(f"{role}_match_name"),
                    "link": row.get(f"{role}_match_link"),
                    "best_score": _as_float(row.get(f"{role}_match_score")),
                    "role": role,
                    "party_as_written": row.get(role),
                    "risk_level": row.get("risk_level"),
                    "record_count": row.get("record_count") or 1,
                    "value": _as_float(row.get("value")),
                    "hs6": row.get("hs6"),
                    "route": row.get("route"),
                    "date": row.get("date"),
                    "date_last": row.get("date_last") or row.get("date"),
                }
            )
    columns = list(ENTITY_VIEW_COLUMNS)
    if not rows:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    frame = pd.DataFrame(rows)
    for column in ("value", "best_score"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    levels = {level: i for i, level in enumerate(_risk_levels())}
    frame["_rank"] = frame["risk_level"].map(levels).fillna(len(levels))
    grouped = frame.groupby(["list_source", "source_id"], sort=False)
    out = pd.DataFrame(
        {
            "matched_names": grouped["matched_names"].agg(_split_distinct),
            "link": grouped["link"].first(),
            "roles": grouped["role"].agg(_distinct_joined),
            "parties_as_written": grouped["party_as_written"].agg(_split_distinct),
            "cases": grouped.size(),
            "records": grouped["record_count"].sum(),
            "best_score": grouped["best_score"].max(),
            "highest_risk": grouped["_rank"].min().map(dict(enumerate(_risk_levels()))),
            "value_total": grouped["value"].sum(min_count=1).round(MONEY_DECIMALS),
            "hs6": grouped["hs6"].agg(_distinct_joined),
            "routes": grouped["route"].agg(_distinct_joined),
            "first_date": grouped["date"].min(),
            "last_date": grouped["date_last"].max(),
        }
    ).reset_index()
    out = out.sort_values(["records", "cases"], ascending=False, kind="stable")
    return pa.Table.from_pandas(out[columns], preserve_index=False)


def _as_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _split_distinct(values: pd.Series) -> str | None:
    parts = (p for v in values if isinstance(v, str) for p in v.split("; "))
    return _distinct_joined(pd.Series(list(parts), dtype=object))


def _risk_levels() -> tuple[str, ...]:
    from screening.risk.score import RISK_LEVELS

    return tuple(RISK_LEVELS)
