"""What changed between two versions of the lists, entity by entity, in words an analyst reads.

An entity is one ``(list_source, source_id)``. It is *added*, *removed*, or *changed* when its
primary name, aliases, programmes, countries, identifiers or entity type differ. Set differences
are computed on long (entity, value) tables with one outer merge per field, so the cost does
not depend on how many entities changed. ``names_added`` lists every name an entity gained (all
names of a new entity): the input of a delta re-screening of past trade records.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CHANGE_KINDS = ("added", "changed", "removed")
_STRING_LIST = pa.list_(pa.string())
_SEP = "\x1f"
_SHOWN_VALUES = 10
"""Values written out per field in the ``changes`` text; the rest are counted."""

DIFF_SCHEMA = pa.schema(
    [
        pa.field("list_source", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("change", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("entity_type", pa.string()),
        pa.field("fields_changed", _STRING_LIST),
        pa.field("names_added", _STRING_LIST),
        pa.field("names_removed", _STRING_LIST),
        pa.field("programs_added", _STRING_LIST),
        pa.field("programs_removed", _STRING_LIST),
        pa.field("countries_added", _STRING_LIST),
        pa.field("countries_removed", _STRING_LIST),
        pa.field("identifiers_added", _STRING_LIST),
        pa.field("identifiers_removed", _STRING_LIST),
        pa.field("changes", pa.string()),
    ]
)
"""One row per added, removed or changed entity; unchanged entities are left out."""

# field label -> how to get its (key, value) rows from a list table
_FIELDS: dict[str, Callable[[pa.Table, pa.Array], pd.DataFrame]] = {}


def _field(label: str) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    def register(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        _FIELDS[label] = function
        return function

    return register


@_field("primary name")
def _primary_names(table: pa.Table, keys: pa.Array) -> pd.DataFrame:
    return _names(table, keys, primary=True)


@_field("aliases")
def _aliases(table: pa.Table, keys: pa.Array) -> pd.DataFrame:
    return _names(table, keys, primary=False)


@_field("programs")
def _programs(table: pa.Table, keys: pa.Array) -> pd.DataFrame:
    return _list_values(table["programs"], keys)


@_field("countries")
def _countries(table: pa.Table, keys: pa.Array) -> pd.DataFrame:
    return _list_values(table["countries"], keys)


@_field("identifiers")
def _identifiers(table: pa.Table, keys: pa.Array) -> pd.DataFrame:
    return _list_values(table["identifiers"], keys)


@_field("entity type")
def _entity_types(table: pa.Table, keys: pa.Array) -> pd.DataFrame:
    return _frame(keys, table["entity_type"].combine_chunks())


def diff_lists(old: pa.Table, new: pa.Table) -> pa.Table:
    """Entity-level differences from ``old`` to ``new`` (LIST_ENTRY_SCHEMA tables), as DIFF_SCHEMA.

    Rows are ordered by list_source, then added / changed / removed, then source_id (numbers
    in numeric order).
    """
    old_keys, new_keys = _keys(old), _keys(new)
    old_set = set(pc.unique(old_keys).to_pylist())
    new_set = set(pc.unique(new_keys).to_pylist())
    status = dict.fromkeys(new_set - old_set, "added") | dict.fromkeys(old_set - new_set, "removed")

    per_field: dict[str, tuple[dict[str, list[str]], dict[str, list[str]]]] = {}
    for label, values in _FIELDS.items():
        added, removed = _set_differences(values(old, old_keys), values(new, new_keys))
        per_field[label] = (added, removed)
        for key in added.keys() | removed.keys():
            status.setdefault(key, "changed")
    if not status:
        return DIFF_SCHEMA.empty_table()
    names_added, names_removed = _set_differences(
        _names(old, old_keys, primary=None), _names(new, new_keys, primary=None)
    )
    (old_any, old_primary), (new_any, new_primary) = (
        _display_names(old, old_keys),
        _display_names(new, new_keys),
    )
    names = old_any | new_any | old_primary | new_primary
    types = _first_of(old_keys, old["entity_type"]) | _first_of(new_keys, new["entity_type"])

    records = []
    for key, change in status.items():
        list_source, source_id = key.split(_SEP, 1)
        changed = {
            label: (added.get(key, []), removed.get(key, []))
            for label, (added, removed) in per_field.items()
        }
        record = {
            "list_source": list_source,
            "source_id": source_id,
            "change": change,
            "name": names.get(key),
            "entity_type": types.get(key),
            "fields_changed": [label for label, (a, r) in changed.items() if a or r]
            if change == "changed"
            else [],
            "names_added": names_added.get(key, []),
            "names_removed": names_removed.get(key, []),
            "changes": _describe(change, names.get(key), changed),
        }
        for label in ("programs", "countries", "identifiers"):
            record[f"{label}_added"], record[f"{label}_removed"] = changed[label]
        records.append(record)
    order = {kind: n for n, kind in enumerate(CHANGE_KINDS)}
    records.sort(
        key=lambda r: (r["list_source"], order[r["change"]], len(r["source_id"]), r["source_id"])
    )
    return pa.Table.from_pylist(records, schema=DIFF_SCHEMA)


def diff_counts(diff: pa.Table) -> dict[str, int]:
    """``{"added": n, "changed": n, "removed": n}`` of a DIFF_SCHEMA table."""
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    for row in diff.group_by("change").aggregate([("source_id", "count")]).to_pylist():
        counts[row["change"]] = row["source_id_count"]
    return counts


def _keys(table: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(
        table["list_source"].combine_chunks(), table["source_id"].combine_chunks(), _SEP
    )


def _frame(keys: pa.Array, values: pa.Array) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"key": keys.to_numpy(zero_copy_only=False), "value": values.to_numpy(zero_copy_only=False)}
    )
    frame = frame.dropna()
    frame["value"] = frame["value"].astype(str).str.strip()
    return frame[frame["value"] != ""].drop_duplicates()


def _names(table: pa.Table, keys: pa.Array, *, primary: bool | None) -> pd.DataFrame:
    """(key, name) rows: primary names, other names, or all names (``primary=None``)."""
    if primary is None:
        return _frame(keys, table["name"].combine_chunks())
    is_primary = pc.equal(table["name_kind"], "primary").combine_chunks()
    mask = is_primary if primary else pc.invert(is_primary)
    return _frame(keys.filter(mask), table["name"].combine_chunks().filter(mask))


def _list_values(column: pa.ChunkedArray, keys: pa.Array) -> pd.DataFrame:
    """(key, value) rows of a list column; identifiers become ``SCHEME:value``."""
    values = column.combine_chunks()
    flat = pc.list_flatten(values)
    parents = pc.list_parent_indices(values)
    if pa.types.is_struct(flat.type):
        scheme = pc.fill_null(pc.struct_field(flat, "scheme"), "")
        flat = pc.binary_join_element_wise(scheme, pc.struct_field(flat, "value"), ":")
    return _frame(keys.take(parents), flat)


def _set_differences(
    old: pd.DataFrame, new: pd.DataFrame
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per key, the sorted values only in ``new`` (added) and only in ``old`` (removed)."""
    merged = old.merge(new, on=["key", "value"], how="outer", indicator=True)

    def grouped(side: str) -> dict[str, list[str]]:
        part = merged[merged["_merge"] == side].sort_values(["key", "value"])
        table = pa.table({"key": part["key"].to_numpy(), "value": part["value"].to_numpy()})
        lists = table.group_by("key", use_threads=False).aggregate([("value", "list")])
        return dict(zip(lists["key"].to_pylist(), lists["value_list"].to_pylist(), strict=True))

    return grouped("right_only"), grouped("left_only")


def _first_of(keys: pa.Array, values: pa.Array | pa.ChunkedArray) -> dict[str, str]:
    """The first non-null value per key."""
    table = pa.table({"key": keys, "value": values}).filter(pc.is_valid(values))
    first = table.group_by("key", use_threads=False).aggregate([("value", "first")])
    return dict(zip(first["key"].to_pylist(), first["value_first"].to_pylist(), strict=True))


def _display_names(table: pa.Table, keys: pa.Array) -> tuple[dict[str, str], dict[str, str]]:
    """(any name, primary name) per key: the primary wins where there is one."""
    names = table["name"].combine_chunks()
    is_primary = pc.equal(table["name_kind"], "primary").combine_chunks()
    return _first_of(keys, names), _first_of(keys.filter(is_primary), names.filter(is_primary))


def _shown(values: list[str]) -> str:
    text = ", ".join(values[:_SHOWN_VALUES])
    extra = len(values) - _SHOWN_VALUES
    return f"{text} (+{extra} more)" if extra > 0 else text


def _describe(
    change: str, name: str | None, field_changes: dict[str, tuple[list[str], list[str]]]
) -> str:
    """The analyst-facing sentence for one entity's change."""
    if change == "removed":
        return f"removed: {name}"
    if change == "added":
        details = [
            f"{label}: {_shown(field_changes[label][0])}"
            for label in ("programs", "countries", "identifiers")
            if field_changes[label][0]
        ]
        return "; ".join([f"added: {name}", *details])
    parts = []
    for label, (gained, lost) in field_changes.items():
        if label in ("primary name", "entity type") and gained and lost:
            parts.append(f"{label}: {_shown(lost)} → {_shown(gained)}")
            continue
        if gained:
            parts.append(f"{label} added: {_shown(gained)}")
        if lost:
            parts.append(f"{label} removed: {_shown(lost)}")
    return "; ".join(parts)
