"""One name against the lists: the best listed entries, with scores and the reasons.

The single-name lookup analysts expect from screening tools (yente's match API, watchman's
search): "is this name listed, and as whom?". It runs the same matcher as a screening run,
against the same lists, and reads the index from the on-disk cache once built
(:mod:`screening.index_cache`), so a lookup answers in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from screening.config import ScreeningConfig
from screening.index_cache import load_name_index
from screening.names.index import NameIndex
from screening.names.match import match_names
from screening.report.links import entry_link

LOOKUP_THRESHOLD = 70.0
"""Lowest score shown: below the screening threshold, so near misses are visible too."""


@dataclass(frozen=True)
class ListedEntry:
    """One listed entity that the name matched, as an analyst reads it."""

    score: float
    flagged: bool
    """at or above the screening threshold: a run would flag this party"""
    list_source: str
    source_id: str
    matched_name: str
    primary_name: str
    entity_type: str | None
    programs: list[str]
    countries: list[str]
    link: str | None
    explanation: str


def _details(index: NameIndex, list_source: str, source_id: str) -> dict[str, object]:
    table = index.list_table
    rows = table.filter(
        pc.and_(
            pc.equal(table["list_source"], list_source), pc.equal(table["source_id"], source_id)
        )
    ).to_pylist()
    primary = next((r for r in rows if r["name_kind"] == "primary" and r["name"]), None)
    first = primary or (rows[0] if rows else {})
    return {
        "primary_name": first.get("name") or "",
        "entity_type": first.get("entity_type"),
        "programs": sorted({p for r in rows for p in (r.get("programs") or []) if p}),
        "countries": sorted({c for r in rows for c in (r.get("countries") or []) if c}),
    }


def check_name(
    name: str,
    *,
    country: str | None = None,
    top: int = 5,
    threshold: float = LOOKUP_THRESHOLD,
    config: ScreeningConfig | None = None,
    index: NameIndex | None = None,
) -> list[ListedEntry]:
    """The ``top`` best listed entities for ``name`` (one per entity, whatever alias matched),
    best first. ``country`` (ISO-2) qualifies the score as the party's country does in a run."""
    config = config or ScreeningConfig()
    if index is None:
        index, _ = load_name_index(config)
    hits: pa.Table = match_names(
        [name],
        index,
        countries=[country.upper()] if country else None,
        threshold=threshold,
        top=max(top, 1) * 3,
        workers=1,
    )
    entries: list[ListedEntry] = []
    seen: set[tuple[str, str]] = set()
    for hit in hits.to_pylist():
        key = (hit["list_source"], hit["source_id"])
        if key in seen:
            continue
        seen.add(key)
        details = _details(index, *key)
        entries.append(
            ListedEntry(
                score=round(float(hit["score"]), 1),
                flagged=float(hit["score"]) >= config.name_threshold,
                list_source=hit["list_source"],
                source_id=hit["source_id"],
                matched_name=hit["matched_name"],
                primary_name=str(details["primary_name"]),
                entity_type=details["entity_type"],  # type: ignore[arg-type]
                programs=list(details["programs"]),  # type: ignore[call-overload]
                countries=list(details["countries"]),  # type: ignore[call-overload]
                link=entry_link(*key),
                explanation=hit["explanation"] or "",
            )
        )
        if len(entries) == top:
            break
    return entries
