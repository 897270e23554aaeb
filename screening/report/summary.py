"""What the run report shows, computed from bounded data only: the manifest's counts and the
flagged records (never the whole screened table, which a streamed run never holds at once)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from screening.report.review_layout import listed_entities

TOP_N = 15
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


def _counter(values: list[Any], missing: str = UNKNOWN) -> dict[str, int]:
    counts = Counter(missing if v in (None, "") else str(v) for v in values)
    return dict(counts.most_common())


def _column(table: pa.Table, name: str) -> list[Any]:
    return table[name].to_pylist() if name in table.column_names else [None] * table.num_rows


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
    counts: Counter[tuple[str, str]] = Counter()
    for role in ("exporter", "importer"):
        matched = _column(flagged, f"{role}_match_source_id")
        for name, hit in zip(_column(flagged, role), matched, strict=True):
            if name and hit:
                counts[(role, name)] += 1
    return [
        {"party": name, "role": role, "records": n} for (role, name), n in counts.most_common(limit)
    ]


def summarise_run(
    manifest: Mapping[str, Any], flagged: pa.Table, review: pa.Table, limit: int = TOP_N
) -> ReportSummary:
    """The report's figures: run counts from the manifest; flags per risk level, CHPL tier,
    route, destination and month from the flagged records; listed entries (one per entity,
    whatever alias matched) from the review table."""
    counts = dict(manifest.get("counts", {}))
    entities = listed_entities(review).slice(0, limit).to_pylist()
    months = _counter([month_of(d) for d in _column(flagged, "date")])
    return ReportSummary(
        counts={
            k: int(v)
            for k, v in counts.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        },
        by_risk_level=_in_risk_order(counts.get("by_risk_level", {})),
        flagged_by_tier=_tiers_in_order(_counter(_column(flagged, "chpl_tier"), NOT_ON_CHPL)),
        flagged_by_route=_counter(_column(flagged, "route")),
        flagged_by_destination=_counter(
            [
                iso or raw
                for iso, raw in zip(
                    _column(flagged, "destination_iso2"),
                    _column(flagged, "destination_country"),
                    strict=True,
                )
            ]
        ),
        flagged_by_month=dict(sorted(months.items())),
        top_parties=top_parties(flagged, limit),
        top_entries=entities,
        list_versions=dict(manifest.get("lists", {})),
        inputs=list(manifest.get("inputs", [])),
        created_at=str(manifest.get("created_at", "")),
    )
