"""Re-screen the parties already seen against only what the lists added or changed since.

Every run records its distinct parties and the list versions they were screened against
(``parties_seen``). After a list update, :func:`rescreen` finds, per list and per version a
party was last screened against, the entities added or changed since (screening.lists.diff on
the old and the current version). The parties are matched against the whole current list,
scored as a run scores them, and only hits on an added entity, or through a name a changed
entity gained, are kept: a party that did not match this entry before. These are the
``new_hits.csv`` an analyst reviews. The parties are then recorded as screened against the
current versions, so the next rescreen starts from there.

The old version of a list is found among the snapshots of the list store and the bundled
lists. When it is no longer kept, the parties are screened against the whole current list and
the hits say so (``change`` = ``unknown_baseline``) rather than being silently missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from screening.config import ScreeningConfig
from screening.io.writers import write_csv_atomic, write_json_atomic
from screening.lists import load_bundled_lists, parse_list_files
from screening.lists.store.diff import diff_lists
from screening.lists.store.snapshots import (
    SNAPSHOT_NAME,
    load_active_lists,
    load_snapshot,
    read_snapshot_meta,
    resolve_store,
    store_has_active_lists,
)
from screening.names.match import match_names
from screening.pipeline import cached_name_index
from screening.review.carry import entry_hashes
from screening.review.store import ReviewStore

CANDIDATES_PER_PARTY = 50
"""List hits looked at per party before keeping those on new entries (best first)."""
NEW_HITS_COLUMNS = (
    "party",
    "country",
    "role",
    "seen_in_file",
    "seen_in_record",
    "last_seen_file",
    "records",
    "list_source",
    "source_id",
    "matched_name",
    "score",
    "explanation",
    "change",
    "list_version",
    "previous_list_version",
)


def current_lists(config: ScreeningConfig) -> pa.Table:
    """The lists a run with ``config`` screens against (same choice as the pipeline)."""
    if config.list_files:
        return parse_list_files(list(config.list_files))
    if store_has_active_lists(config.list_store):
        return load_active_lists(config.list_store)
    return load_bundled_lists()


def list_versions(lists: pa.Table) -> dict[str, str]:
    """list_source -> the version its rows carry (the first one seen, as the pipeline does)."""
    versions: dict[str, str] = {}
    for source, version in zip(
        lists["list_source"].to_pylist(), lists["list_version"].to_pylist(), strict=True
    ):
        versions.setdefault(source, version or "unknown")
    return dict(sorted(versions.items()))


def find_list_version(
    list_source: str, version: str, *, store: str | Path | None = None
) -> pa.Table | None:
    """The rows of ``list_source`` at ``version`` from a snapshot kept in the list store or
    the bundled lists; None when that version is no longer available."""
    root = resolve_store(store)
    if root.is_dir():
        for meta_path in sorted(root.glob(f"*/*/{SNAPSHOT_NAME}"), reverse=True):
            meta = read_snapshot_meta(meta_path.parent)
            if meta.get("list_version") != version:
                continue
            part = _version_rows(load_snapshot(meta_path.parent), list_source, version)
            if part.num_rows:
                return part
    part = _version_rows(load_bundled_lists(), list_source, version)
    return part if part.num_rows else None


def _version_rows(table: pa.Table, list_source: str, version: str) -> pa.Table:
    return table.filter(
        pc.and_(
            pc.equal(table["list_source"], list_source),
            pc.equal(pc.fill_null(table["list_version"], "unknown"), version),
        )
    )


@dataclass(frozen=True)
class Delta:
    """The entries of one list_source worth re-screening against since a version, and why."""

    list_source: str
    previous_version: str | None
    change: dict[str, str] = field(default_factory=dict)
    """source_id -> added / changed / unknown_baseline"""
    new_names: frozenset[tuple[str, str]] = frozenset()
    """(source_id, name) of the names changed entries gained: only hits through them count"""

    def counts(self, source_id: str, matched_name: str) -> bool:
        """Whether a hit on this entry through this name is new since the version."""
        change = self.change.get(source_id)
        if change in ("added", "unknown_baseline"):
            return True
        return change == "changed" and (source_id, matched_name.strip()) in self.new_names


def list_delta(
    current: pa.Table, list_source: str, previous_version: str | None, *, store: str | Path | None
) -> Delta:
    """Entries of ``list_source`` added, or given new names, since ``previous_version``."""
    now = current.filter(pc.equal(current["list_source"], list_source))
    old = (
        None
        if previous_version is None
        else find_list_version(list_source, previous_version, store=store)
    )
    if old is None:
        ids = pc.unique(now["source_id"]).to_pylist()
        return Delta(list_source, previous_version, dict.fromkeys(ids, "unknown_baseline"))
    diff = diff_lists(old, now)
    diff = diff.filter(pc.is_in(diff["change"], pa.array(["added", "changed"])))
    change: dict[str, str] = {}
    new_names: set[tuple[str, str]] = set()
    for row in diff.select(["source_id", "change", "names_added"]).to_pylist():
        if row["change"] == "added":
            change[row["source_id"]] = "added"
        elif row["names_added"]:
            # a changed entry counts through the names it gained: through its other names
            # the party was screened before, against the same entry
            change[row["source_id"]] = "changed"
            new_names.update((row["source_id"], n.strip()) for n in row["names_added"])
    return Delta(list_source, previous_version, change, frozenset(new_names))


@dataclass
class RescreenResult:
    out_dir: Path
    parties: int
    parties_rescreened: int
    hits: int
    entries_checked: dict[str, int]
    list_versions: dict[str, str]
    outputs: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "out_dir": str(self.out_dir)}


def rescreen(
    store: ReviewStore,
    out_dir: str | Path,
    *,
    config: ScreeningConfig | None = None,
    lists: pa.Table | None = None,
) -> RescreenResult:
    """Re-screen every party in ``store`` against the list entries added or changed since it
    was last screened; write ``new_hits.csv`` and ``rescreen.json`` into ``out_dir``."""
    config = config or ScreeningConfig()
    current = lists if lists is not None else current_lists(config)
    versions = list_versions(current)
    parties = store.parties()
    deltas: dict[tuple[str, str | None], Delta] = {}
    groups: dict[tuple[tuple[str, str | None], ...], list[dict[str, Any]]] = {}
    for party in parties:
        stale = tuple(
            (source, party["list_versions"].get(source))
            for source, version in versions.items()
            if party["list_versions"].get(source) != version
        )
        if stale:
            groups.setdefault(stale, []).append(party)
            for key in stale:
                if key not in deltas:
                    deltas[key] = list_delta(current, key[0], key[1], store=config.list_store)
    hits: list[dict[str, Any]] = []
    for stale, members in groups.items():
        parts = {deltas[key].list_source: deltas[key] for key in stale if deltas[key].change}
        if not parts:
            continue
        # scored against the whole current list, as a run would score them (word rarity is
        # a property of the whole index), then only hits on new entries or new names kept
        matched = match_names(
            [p["party_name"] for p in members],
            cached_name_index(current),
            countries=[p["country"] or None for p in members],
            threshold=config.name_threshold,
            top=CANDIDATES_PER_PARTY,
            workers=config.workers,
        )
        by_key = {(p["party_name"], p["country"]): p for p in members}
        kept_per_party: dict[tuple[str, str], int] = {}
        for hit in matched.to_pylist():
            delta = parts.get(hit["list_source"])
            if delta is None or not delta.counts(hit["source_id"], hit["matched_name"]):
                continue
            key = (hit["query"], hit["query_country"] or "")
            if kept_per_party.get(key, 0) >= config.max_matches_per_name:
                continue
            kept_per_party[key] = kept_per_party.get(key, 0) + 1
            party = by_key[key]
            hits.append(
                {
                    "party": party["party_name"],
                    "country": party["country"] or None,
                    "role": party["role"],
                    "seen_in_file": party["first_seen_file"],
                    "seen_in_record": party["first_seen_record"],
                    "last_seen_file": party["last_seen_file"],
                    "records": party["records"],
                    "list_source": hit["list_source"],
                    "source_id": hit["source_id"],
                    "matched_name": hit["matched_name"],
                    "score": round(hit["score"], 1),
                    "explanation": hit["explanation"],
                    "change": delta.change[hit["source_id"]],
                    "list_version": versions.get(hit["list_source"]),
                    "previous_list_version": delta.previous_version,
                }
            )
    hits = _drop_cleared(hits, store, current)
    hits.sort(key=lambda h: (-h["score"], h["party"], h["list_source"], h["source_id"]))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(hits, schema=_HITS_SCHEMA)
    outputs = {"new_hits": str(write_csv_atomic(table, out / "new_hits.csv"))}
    rescreened = [(p["party_name"], p["country"]) for members in groups.values() for p in members]
    result = RescreenResult(
        out_dir=out,
        parties=len(parties),
        parties_rescreened=len(rescreened),
        hits=len(hits),
        entries_checked={
            f"{d.list_source} since {d.previous_version or 'never'}": len(d.change)
            for d in deltas.values()
        },
        list_versions=versions,
        outputs=outputs,
    )
    outputs["summary"] = str(write_json_atomic(result.to_dict(), out / "rescreen.json"))
    # only once the hits are safely written: the next rescreen starts from these versions
    store.mark_rescreened(rescreened, versions)
    return result


_HITS_SCHEMA = pa.schema(
    [
        pa.field(
            name,
            pa.float64() if name == "score" else pa.int64() if name == "records" else pa.string(),
        )
        for name in NEW_HITS_COLUMNS
    ]
)


def _drop_cleared(
    hits: Sequence[Mapping[str, Any]], store: ReviewStore, lists: pa.Table
) -> list[dict[str, Any]]:
    """Leave out hits an analyst already cleared on the same entry content (a changed entry
    that was cleared under an earlier rescreen, say)."""
    from screening.review.carry import party_key

    decisions = store.current_decisions()
    if not decisions or not hits:
        return [dict(h) for h in hits]
    hashes = entry_hashes(lists, [(h["list_source"], h["source_id"]) for h in hits])
    kept = []
    for hit in hits:
        entry = (hit["list_source"], hit["source_id"])
        decision = decisions.get((party_key(hit["party"]), *entry))
        if (
            decision is not None
            and decision.decision == "cleared"
            and decision.entry_hash == hashes.get(entry)
        ):
            continue
        kept.append(dict(hit))
    return kept
