"""The table builders every list parser shares: long frames in, LIST_ENTRY_SCHEMA out.

Extraction (identifiers, aliases) yields *long* frames, one row per finding with ``row`` = the
position of its record; :func:`group_into_lists` turns them into Arrow list columns aligned with
the records, :func:`parties_table` assembles one row per party and :func:`entries_table` one
row per (party, name) in the canonical schema.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.schema import IDENTIFIER_TYPE, LIST_ENTRY_SCHEMA


def extract_all(texts: pd.Series, pattern: str) -> pd.DataFrame:
    """``str.extractall`` with ``row`` = position in ``texts`` (the index is ignored)."""
    texts = pd.Series(texts.to_numpy(), dtype="str")
    found = texts.str.extractall(pattern)
    rows = found.index.get_level_values(0).to_numpy(dtype=np.int64)
    return found.reset_index(drop=True).assign(row=rows)


# --------------------------------------------------------------------------- Arrow assembly


def arrow_strings(values: pd.Series) -> pa.Array:
    """A pandas string column as an Arrow string array (NaN -> null)."""
    array = pa.array(values, type=pa.string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def group_into_lists(rows: np.ndarray | pd.Series, values: pa.Array, n_rows: int) -> pa.ListArray:
    """A list column of ``n_rows`` lists: ``values[i]`` goes into list ``rows[i]``.

    Order within a list follows ``values``; rows with nothing get an empty list, not null.
    """
    rows = np.asarray(rows, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n_rows) if len(rows) else np.zeros(n_rows, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def string_lists(long: pd.DataFrame, column: str, n_rows: int) -> pa.ListArray:
    """List<string> column from a long frame ``row, <column>``, duplicates dropped."""
    long = long.dropna(subset=[column]).drop_duplicates(["row", column])
    values = arrow_strings(long[column])
    return group_into_lists(long["row"].to_numpy(), values, n_rows)


def identifier_lists(long: pd.DataFrame, n_rows: int) -> pa.ListArray:
    """List<{scheme, value}> column from a long frame ``row, scheme, value``."""
    long = long.dropna(subset=["scheme", "value"]).drop_duplicates(["row", "scheme", "value"])
    values = pa.StructArray.from_arrays(
        [
            arrow_strings(long["scheme"]),
            arrow_strings(long["value"]),
        ],
        fields=list(IDENTIFIER_TYPE),
    )
    return group_into_lists(long["row"].to_numpy(), values, n_rows)


def split_joined(texts: pd.Series, separator: str) -> pd.DataFrame:
    """Split ``A; B`` cells into a long frame ``row, value`` (stripped, blanks dropped)."""
    parts = pd.Series(texts.to_numpy(), dtype="str").str.split(separator, regex=False)
    long = parts.explode().astype("str").str.strip()
    out = pd.DataFrame({"row": long.index.to_numpy(dtype=np.int64), "value": long.to_numpy()})
    return out[out["value"].str.len().fillna(0) > 0].reset_index(drop=True)


NAME_KIND_ORDER = {"primary": 0, "alias": 1, "former": 2, "weak_alias": 3}
PARTY_FIELDS = [f for f in LIST_ENTRY_SCHEMA if f.name not in ("name", "name_kind")]


def parties_table(
    n_parties: int, columns: Mapping[str, pa.Array | pa.ChunkedArray | list | str | None]
) -> pa.Table:
    """The party columns of LIST_ENTRY_SCHEMA (all but ``name``/``name_kind``) for entries_table.

    An Arrow array or a Python list holds one value per party; a ``str`` or ``None`` is the
    same on every party (``list_source``, ``list_version``); a column left out is what the
    list does not give: empty lists for list columns, nulls for the others.
    """
    unknown = set(columns) - {f.name for f in PARTY_FIELDS}
    if unknown:
        raise ValueError(f"not party columns of LIST_ENTRY_SCHEMA: {sorted(unknown)}")
    arrays = {}
    for field in PARTY_FIELDS:
        value = columns.get(field.name)
        if isinstance(value, pa.Array | pa.ChunkedArray):
            arrays[field.name] = value
        elif isinstance(value, list):
            arrays[field.name] = pa.array(value, field.type)
        elif field.name not in columns and pa.types.is_list(field.type):
            arrays[field.name] = pa.array([[]] * n_parties, field.type)
        else:
            arrays[field.name] = pa.array([value] * n_parties, field.type)
    return pa.table(arrays)


def entries_table(
    parties: pa.Table, names: pd.DataFrame, *, keep_nameless: bool = False
) -> pa.Table:
    """Canonical list table: one row per name, the party's fields repeated on each.

    ``parties`` holds every LIST_ENTRY_SCHEMA column except ``name``/``name_kind``;
    ``names`` is a long frame ``row, name, name_kind`` (row = party position). Names are
    stripped, blanks and repeats of the same (name, kind) within a party dropped, and the
    rows ordered party by party, primary name first. With ``keep_nameless`` a party whose
    names are all blank keeps one primary row with an empty name (a designation the list
    gives no name for is still an entry; the matcher skips empty names).
    """
    names = names.assign(name=names["name"].astype("str").str.strip())
    blank = names["name"].str.len().fillna(0) == 0
    if keep_nameless:  # the first blank row of a party with no name at all stays
        unnamed = ~names["row"].isin(names.loc[~blank, "row"]) & ~names["row"].duplicated()
        blank &= ~unnamed
    names = names[~blank].assign(name=lambda f: f["name"].fillna(""))
    names = names.drop_duplicates(["row", "name", "name_kind"])
    rank = names["name_kind"].map(NAME_KIND_ORDER)
    names = names.assign(_rank=rank).sort_values(["row", "_rank"], kind="stable")
    table = parties.take(pa.array(names["row"].to_numpy(dtype=np.int64)))
    table = table.append_column("name", arrow_strings(names["name"]))
    table = table.append_column("name_kind", arrow_strings(names["name_kind"]))
    return table.select(LIST_ENTRY_SCHEMA.names).cast(LIST_ENTRY_SCHEMA)
