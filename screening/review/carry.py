"""Carry analysts' decisions into a run: cleared matches stay cleared until the evidence changes.

:func:`apply_decisions` runs on a batch after party matching and before the risk score. For
each party match it looks up the latest decision on (normalised party, list entry):

- ``cleared``, and the list entry is unchanged (same content hash), the score is not higher
  than when it was cleared, no identifier (INN, ...) is now shared that was not before, and no
  other list entry matches the party: the match is taken off the record (its columns emptied,
  ``suppressed_by_decision`` says which match and who cleared it). The record keeps its goods
  and route signals; the risk score computed next counts no party signal.
- ``cleared`` but any of those changed: the match stays, reopened, with the reason in
  ``previous_decision``.
- ``confirmed`` / ``escalated``: the match stays, with ``previous_decision``, ``decided_by``
  and ``decided_at``.

It also writes each match's ``<role>_match_entry_hash`` and ``<role>_match_list_version``, so a
flagged file carries what the analyst's decision is about (``dualuse review apply`` stores them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from screening.names.normalise import normalise_name
from screening.review.store import Decision

PARTY_ROLES = ("exporter", "importer")
MATCH_SUFFIXES = ("score", "name", "list_source", "source_id", "explanation")
"""The ``<role>_match_*`` columns emptied when a cleared match is taken off a record."""
SCORE_TOLERANCE = 0.5
"""A score this much higher than the one cleared counts as stronger evidence."""
DECISION_COLUMNS = (
    "previous_decision",
    "decided_by",
    "decided_at",
    "decision_detail",
    "suppressed_by_decision",
)
_SEVERITY = {"escalated": 0, "confirmed": 1, "cleared": 2}


def party_key(name: str | None) -> str:
    """The normalised party a decision is about: the name's core words (legal forms and
    identifiers aside), so ``OOO Romashka`` and ``Romashka LLC`` share decisions."""
    normalised = normalise_name(name or "")
    return normalised.key or " ".join((name or "").casefold().split())


def party_identifiers(name: str | None) -> frozenset[str]:
    """``SCHEME:value`` identifiers written in the party name (an INN glued to it, ...)."""
    return frozenset(f"{s}:{v}" for s, v in normalise_name(name or "").identifiers)


def entry_hashes(lists: pa.Table, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """sha256 of each listed entity's content, for the given (list_source, source_id) keys.

    Covers what screening.lists.store.diff compares (names with their kind, entity type,
    programmes, countries, identifiers), so an entry is "unchanged" exactly when the list diff
    would not report it; the publication date alone does not change it."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = _entity_rows(lists, wanted)
    contents: dict[tuple[str, str], dict[str, set[str]]] = {}
    for row in rows.to_pylist():
        key = (row["list_source"], row["source_id"])
        entry = contents.setdefault(
            key,
            {"names": set(), "types": set(), "programs": set(), "countries": set(), "ids": set()},
        )
        entry["names"].add(f"{row['name_kind']}:{row['name']}")
        if row["entity_type"]:
            entry["types"].add(row["entity_type"])
        entry["programs"].update(row["programs"] or ())
        entry["countries"].update(row["countries"] or ())
        entry["ids"].update(f"{i['scheme']}:{i['value']}" for i in row["identifiers"] or ())
    return {
        key: hashlib.sha256(
            json.dumps({k: sorted(v) for k, v in entry.items()}, ensure_ascii=False).encode()
        ).hexdigest()
        for key, entry in contents.items()
    }


def entry_identifiers(
    lists: pa.Table, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    """``SCHEME:value`` identifiers of each listed entity."""
    out: dict[tuple[str, str], set[str]] = {}
    for row in (
        _entity_rows(lists, sorted(set(keys)))
        .select(["list_source", "source_id", "identifiers"])
        .to_pylist()
    ):
        out.setdefault((row["list_source"], row["source_id"]), set()).update(
            f"{i['scheme']}:{i['value']}" for i in row["identifiers"] or ()
        )
    return out


def entry_versions(lists: pa.Table, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    rows = _entity_rows(lists, sorted(set(keys))).select(
        ["list_source", "source_id", "list_version"]
    )
    return {
        (r["list_source"], r["source_id"]): r["list_version"]
        for r in rows.to_pylist()
        if r["list_version"]
    }


def _entity_rows(lists: pa.Table, keys: Sequence[tuple[str, str]]) -> pa.Table:
    if not keys:
        return lists.slice(0, 0)
    joined = pc.binary_join_element_wise(lists["list_source"], lists["source_id"], "\x1f")
    wanted = pa.array([f"{s}\x1f{i}" for s, i in keys])
    return lists.filter(pc.is_in(joined, wanted))


@dataclass
class DecisionCounts:
    """What the decisions did to one batch; summed over batches into the run manifest."""

    matches_suppressed: int = 0
    records_suppressed: int = 0
    reopened: int = 0
    confirmed: int = 0
    escalated: int = 0
    reopen_reasons: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: DecisionCounts) -> DecisionCounts:
        reasons = dict(self.reopen_reasons)
        for k, v in other.reopen_reasons.items():
            reasons[k] = reasons.get(k, 0) + v
        return DecisionCounts(
            self.matches_suppressed + other.matches_suppressed,
            self.records_suppressed + other.records_suppressed,
            self.reopened + other.reopened,
            self.confirmed + other.confirmed,
            self.escalated + other.escalated,
            reasons,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "suppressed_by_decision": self.records_suppressed,
            "matches_suppressed_by_decision": self.matches_suppressed,
            "reopened_cleared_matches": self.reopened,
            "reopen_reasons": dict(sorted(self.reopen_reasons.items())),
            "flagged_with_confirmed_decision": self.confirmed,
            "flagged_with_escalated_decision": self.escalated,
        }


def reopen_reason(
    decision: Decision,
    *,
    entry_hash: str | None,
    score: float | None,
    shared_now: frozenset[str],
    other_hits: bool,
) -> str | None:
    """Why a cleared match must be looked at again, or None when the clearance still holds."""
    if decision.entry_hash and entry_hash and decision.entry_hash != entry_hash:
        return "list entry changed"
    newly_shared = shared_now - set(filter(None, decision.party_identifiers.split(";")))
    if newly_shared:
        return "identifier now shared"
    if (
        score is not None
        and decision.score is not None
        and score > decision.score + SCORE_TOLERANCE
    ):
        return "higher score"
    if other_hits:
        return "other list entries also match"
    return None


def annotate_matches(screened: pa.Table, lists: pa.Table) -> pa.Table:
    """Add ``<role>_match_entry_hash`` and ``<role>_match_list_version`` for every match
    (hashes computed once per matched entity, joined back onto the records)."""
    keys = _match_keys(screened)
    hashes = entry_hashes(lists, keys)
    versions = entry_versions(lists, keys)
    lookup = pa.table(
        {
            "_source": pa.array([k[0] for k in keys], pa.string()),
            "_id": pa.array([k[1] for k in keys], pa.string()),
            "entry_hash": pa.array([hashes.get(k) for k in keys], pa.string()),
            "list_version": pa.array([versions.get(k) for k in keys], pa.string()),
        }
    )
    out = screened
    rows = pa.array(range(screened.num_rows), pa.int64())
    for role in PARTY_ROLES:
        joined = (
            pa.table(
                {
                    "_row": rows,
                    "_source": screened[f"{role}_match_list_source"],
                    "_id": screened[f"{role}_match_source_id"],
                }
            )
            .join(lookup, keys=["_source", "_id"], join_type="left outer")
            .sort_by("_row")
        )
        for suffix in ("entry_hash", "list_version"):
            column = f"{role}_match_{suffix}"
            if column in out.column_names:
                out = out.set_column(out.schema.get_field_index(column), column, joined[suffix])
            else:
                out = out.append_column(column, joined[suffix])
    return out


def _match_keys(screened: pa.Table) -> list[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for role in PARTY_ROLES:
        part = screened.select([f"{role}_match_list_source", f"{role}_match_source_id"]).filter(
            pc.is_valid(screened[f"{role}_match_list_source"])
        )
        keys.update(zip(*(c.to_pylist() for c in part.columns), strict=True))
    return sorted(keys)


def apply_decisions(
    screened: pa.Table,
    decisions: Mapping[tuple[str, str, str], Decision],
    lists: pa.Table,
) -> tuple[pa.Table, DecisionCounts]:
    """Apply the current decisions to a batch that has ``<role>_match_*`` columns (after party
    matching, before the risk score). Pure: returns a new table and what was done."""
    table = annotate_matches(screened, lists)
    n = table.num_rows
    counts = DecisionCounts()
    columns: dict[str, list[Any]] = {c: [None] * n for c in DECISION_COLUMNS}
    cleared_rows: dict[str, set[int]] = {role: set() for role in PARTY_ROLES}
    if decisions:
        identifiers = entry_identifiers(lists, _match_keys(table))
        per_row: dict[int, list[tuple[str, Decision, str | None]]] = {}
        for role in PARTY_ROLES:
            matched = pc.indices_nonzero(pc.is_valid(table[f"{role}_match_list_source"]))
            if len(matched) == 0:
                continue
            part = (
                table.take(matched)
                .select(
                    [role] + [f"{role}_match_{s}" for s in (*MATCH_SUFFIXES, "entry_hash", "count")]
                )
                .to_pylist()
            )
            party_cache: dict[str, tuple[str, frozenset[str]]] = {}
            for row_no, rec in zip(matched.to_pylist(), part, strict=True):
                name = rec[role] or ""
                if name not in party_cache:
                    party_cache[name] = (party_key(name), party_identifiers(name))
                party, party_ids = party_cache[name]
                entry = (rec[f"{role}_match_list_source"], rec[f"{role}_match_source_id"])
                decision = decisions.get((party, *entry))
                if decision is None:
                    continue
                reason = None
                if decision.decision == "cleared":
                    reason = reopen_reason(
                        decision,
                        entry_hash=rec[f"{role}_match_entry_hash"],
                        score=rec[f"{role}_match_score"],
                        shared_now=frozenset(party_ids & identifiers.get(entry, set())),
                        other_hits=(rec[f"{role}_match_count"] or 0) > 1,
                    )
                    if reason is None:
                        cleared_rows[role].add(row_no)
                        columns["suppressed_by_decision"][row_no] = _join(
                            columns["suppressed_by_decision"][row_no],
                            f"{role} '{name}' ~ '{rec[f'{role}_match_name']}' "
                            f"({entry[0]} {entry[1]}, score {rec[f'{role}_match_score']:.0f}) "
                            f"cleared by {decision.analyst} at {decision.decided_at[:19]}",
                        )
                        counts.matches_suppressed += 1
                        continue
                    counts.reopened += 1
                    counts.reopen_reasons[reason] = counts.reopen_reasons.get(reason, 0) + 1
                per_row.setdefault(row_no, []).append((role, decision, reason))
        for row_no, items in per_row.items():
            items.sort(key=lambda item: _SEVERITY[item[1].decision])
            role, top, reason = items[0]
            columns["previous_decision"][row_no] = (
                f"cleared, reopened: {reason}" if top.decision == "cleared" else top.decision
            )
            columns["decided_by"][row_no] = top.analyst
            columns["decided_at"][row_no] = top.decided_at
            columns["decision_detail"][row_no] = "; ".join(
                f"{r}: {d.decision} by {d.analyst} at {d.decided_at[:19]}"
                + (f" (reopened: {why})" if why else "")
                + (f": {d.note}" if d.note else "")
                for r, d, why in items
            )
            if top.decision == "confirmed":
                counts.confirmed += 1
            elif top.decision == "escalated":
                counts.escalated += 1
    counts.records_suppressed = len(cleared_rows["exporter"] | cleared_rows["importer"])
    for role in PARTY_ROLES:
        if cleared_rows[role]:
            table = _empty_match(table, role, sorted(cleared_rows[role]))
    for name, values in columns.items():
        array = pa.array(values, pa.string())
        if name in table.column_names:
            table = table.set_column(table.schema.get_field_index(name), name, array)
        else:
            table = table.append_column(name, array)
    return table, counts


def _join(existing: str | None, text: str) -> str:
    return text if existing is None else f"{existing}; {text}"


def _empty_match(table: pa.Table, role: str, rows: list[int]) -> pa.Table:
    """Null the ``<role>_match_*`` columns (and the entry hash/version) on ``rows``."""
    mask = pa.array([False] * table.num_rows)
    hit = pc.is_in(pa.array(range(table.num_rows), pa.int64()), pa.array(rows, pa.int64()))
    mask = pc.or_(mask, hit)
    for suffix in (*MATCH_SUFFIXES, "entry_hash", "list_version"):
        name = f"{role}_match_{suffix}"
        column = table[name]
        emptied = pc.if_else(mask, pa.scalar(None, column.type), column)
        table = table.set_column(table.schema.get_field_index(name), name, emptied)
    return table


def unflagged_by_decision(table: pa.Table) -> int:
    """Records that a cleared match alone had flagged: scored ``none`` once it was removed."""
    if "suppressed_by_decision" not in table.column_names or "risk_level" not in table.column_names:
        return 0
    mask = pc.and_(
        pc.is_valid(table["suppressed_by_decision"]), pc.equal(table["risk_level"], "none")
    )
    return int(pc.sum(mask).as_py() or 0)
