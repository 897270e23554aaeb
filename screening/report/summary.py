"""What the run report shows, computed from bounded data only: the manifest's counts and the
flagged records (never the whole screened table, which a streamed run never holds at once)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from screening.report.review_layout import listed_entities

TOP_N = 15
SUMMARY_COLUMNS = (
    "date",
    "chpl_tier",
    "route",
    "destination_iso2",
    "destination_country",
    "exporter",
    "importer",
    "exporter_match_source_id",
    "importer_match_source_id",
)
"""The flagged records' columns the report counts (a streamed run reads only these)."""
NOT_ON_CHPL = "not on CHPL"
UNKNOWN = "unknown"
_MONTH = re.compile(r"^(\d{4}-\d{2})")


@dataclass(frozen=True)
class ReportSummary:
    """Counts and rankings of one run, ready to render."""

    counts: dict[str, int]
    by_risk_level: dict[str, int]
    flagged_by_tier: dict[str, int]
    flagged_by_route: dict[str, int]
    flagged_by_destination: dict[str, int]
    flagged_by_month: dict[str, int]
    top_parties: list[dict[str, Any]]
    top_entries: list[dict[str, Any]]
    list_versions: dict[str, str]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _counter(values: pa.ChunkedArray | pa.Array, missing: str = UNKNOWN) -> dict[str, int]:
    """Count per value, most common first (ties in order of first appearance), null and
    empty counted as ``missing``. Vectorised: a streamed run may flag millions of records."""
    text = values.cast(pa.string())
    text = pc.fill_null(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), missing)
    counted = pc.value_counts(text)
    names, counts = counted.field("values").to_pylist(), counted.field("counts").to_pylist()
    order = sorted(range(len(names)), key=lambda i: -counts[i])
    return {names[i]: counts[i] for i in order}


def _column(table: pa.Table, name: str) -> pa.ChunkedArray | pa.Array:
    if name in table.column_names:
        return table[name]
    return pa.nulls(table.num_rows, pa.string())


def _months(dates: pa.ChunkedArray | pa.Array) -> pa.Array:
    """YYYY-MM of each date text (null when it does not start with one)."""
    text = pc.fill_null(dates.cast(pa.string()), "")
    return pc.struct_field(pc.extract_regex(text, _MONTH.pattern.replace("(", "(?P<m>", 1)), 0)


def _destinations(flagged: pa.Table) -> pa.Array:
    iso = _column(flagged, "destination_iso2").cast(pa.string())
    raw = _column(flagged, "destination_country").cast(pa.string())
    known = pc.fill_null(pc.not_equal(iso, ""), False)
    return pc.if_else(known, iso, raw)


def month_of(date: str | None) -> str | None:
    match = _MONTH.match(date or "")
    return match.group(1) if match else None


def _in_risk_order(counts: Mapping[str, Any]) -> dict[str, int]:
    """Highest risk first, as the review file orders records."""
    from screening.risk.score import RISK_LEVELS

    rank = {level: i for i, level in enumerate(RISK_LEVELS)}
    return {k: int(counts[k]) for k in sorted(counts, key=lambda k: (rank.get(k, len(rank)), k))}


def _tiers_in_order(counts: dict[str, int]) -> dict[str, int]:
    """CHPL tiers in tier order (1, 2, 3.A, ...), records off the CHPL last."""
    return {k: counts[k] for k in sorted(counts, key=lambda k: (k == NOT_ON_CHPL, k))}


def top_parties(flagged: pa.Table, limit: int = TOP_N) -> list[dict[str, Any]]:
    """Parties as written in the trade files, by flagged records (either role)."""
    parts = []
    for role in ("exporter", "importer"):
        name = _column(flagged, role).cast(pa.string())
        hit = _column(flagged, f"{role}_match_source_id").cast(pa.string())
        keep = pc.fill_null(pc.and_(pc.not_equal(name, ""), pc.not_equal(hit, "")), False)
        part = pa.table({"role": pa.array([role] * flagged.num_rows), "party": name})
        parts.append(part.filter(keep))
    every = pa.concat_tables(parts)
    every = every.append_column("position", pa.array(np.arange(every.num_rows)))
    counted = (
        every.group_by(["role", "party"], use_threads=False)
        .aggregate([("position", "min"), ("position", "count")])
        .sort_by([("position_count", "descending"), ("position_min", "ascending")])
        .slice(0, limit)
    )
    return [
        {"party": row["party"], "role": row["role"], "records": row["position_count"]}
        for row in counted.to_pylist()
    ]


def summarise_run(
    manifest: Mapping[str, Any],
    flagged: pa.Table,
    review: pa.Table | None = None,
    limit: int = TOP_N,
    *,
    entities: pa.Table | None = None,
) -> ReportSummary:
    """The report's figures: run counts from the manifest; flags per risk level, CHPL tier,
    route, destination and month from the flagged records; listed entries (one per entity,
    whatever alias matched) from the review table, or ``entities`` when already grouped
    (:func:`~screening.report.review_layout.listed_entities`; a large run never holds the
    whole review table)."""
    counts = dict(manifest.get("counts", {}))
    if entities is None:
        if review is None:
            raise TypeError("summarise_run needs the review table or its listed entities")
        entities = listed_entities(review)
    top_entries = entities.slice(0, limit).to_pylist()
    months = _counter(_months(_column(flagged, "date")))
    return ReportSummary(
        counts={
            k: int(v)
            for k, v in counts.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        },
        by_risk_level=_in_risk_order(counts.get("by_risk_level", {})),
        flagged_by_tier=_tiers_in_order(_counter(_column(flagged, "chpl_tier"), NOT_ON_CHPL)),
        flagged_by_route=_counter(_column(flagged, "route")),
        flagged_by_destination=_counter(_destinations(flagged)),
        flagged_by_month=dict(sorted(months.items())),
        top_parties=top_parties(flagged, limit),
        top_entries=top_entries,
        list_versions=dict(manifest.get("lists", {})),
        inputs=list(manifest.get("inputs", [])),
        created_at=str(manifest.get("created_at", "")),
    )
