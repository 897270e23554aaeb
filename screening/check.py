"""One name against the lists: the best listed entries, with scores and the reasons.

The single-name lookup analysts expect from screening tools (yente's match API, watchman's
search): "is this name listed, and as whom?". It runs the same matcher as a screening run,
against the same lists, and reads the index from the on-disk cache once built
(:mod:`screening.index_cache`), so a lookup answers in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from screening import collector
from screening.index_cache import load_name_index
from screening.names.match import match_hits
from screening.names.tunables import settings as default_match_settings
from screening.report.links import entry_link

if TYPE_CHECKING:  # the configuration (pydantic) is imported only when a caller passes one
    from screening.config import ScreeningConfig
    from screening.names.index import NameIndex

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


def _entity_rows(index: NameIndex, entities: set[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """The list-table rows of each (list_source, source_id), in table order, in one pass.

    Read as Python values row by row: a comparison through pyarrow.compute would convert the
    Python strings to Arrow, and pyarrow's first such conversion imports pandas (half a second
    a lookup need not pay)."""
    wanted = {source_id for _, source_id in entities}
    table = index.list_table
    found: dict[tuple[str, str], list] = {entity: [] for entity in entities}
    for position, value in enumerate(table["source_id"].to_pylist()):
        if value in wanted:
            for row in table.slice(position, 1).to_pylist():
                rows = found.get((row["list_source"], value))
                if rows is not None:
                    rows.append(row)
    return found


def _details(rows: list[dict[str, Any]]) -> dict[str, object]:
    """Primary name, type, programmes and countries of one listed entity, from all its rows."""
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
    best first. ``country`` (ISO-2) qualifies the score as the party's country does in a run.
    ``config`` (default: the default configuration) says which lists and which matcher
    settings, as in a run."""
    settings = config.match_settings() if config is not None else default_match_settings
    if index is None:
        index, _ = load_name_index(config)
    # one name allocates a bounded number of objects (index chunks read on demand, tables
    # built once): the collector would walk the caller's whole heap for nothing (a notebook or
    # a long-lived process holding millions of objects: 0.4 s became 0.9 s and more, measured)
    with collector.paused():
        hits = match_hits(
            [name],
            index,
            countries=[country.upper()] if country else None,
            threshold=threshold,
            top=max(top, 1) * 3,
            config=settings,
        )
    entries: list[ListedEntry] = []
    seen: set[tuple[str, str]] = set()
    rows_of = _entity_rows(index, set(zip(hits["list_source"], hits["source_id"], strict=True)))
    for score, list_source, source_id, matched_name, explanation in zip(
        hits["score"],
        hits["list_source"],
        hits["source_id"],
        hits["matched_name"],
        hits["explanation"],
        strict=True,
    ):
        key = (list_source, source_id)
        if key in seen:
            continue
        seen.add(key)
        details = _details(rows_of[key])
        entries.append(
            ListedEntry(
                score=round(float(score), 1),
                flagged=float(score) >= settings.flag_threshold,
                list_source=list_source,
                source_id=source_id,
                matched_name=matched_name,
                primary_name=str(details["primary_name"]),
                entity_type=details["entity_type"],  # type: ignore[arg-type]
                programs=list(details["programs"]),  # type: ignore[call-overload]
                countries=list(details["countries"]),  # type: ignore[call-overload]
                link=entry_link(*key),
                explanation=explanation or "",
            )
        )
        if len(entries) == top:
            break
    return entries
