"""Re-export chains: the same goods go from a coalition country to a hub party, then on to Russia.

One record alone shows a US chip going to Kazakhstan, another a Kazakh company shipping the same
HS6 to Russia; together they show the diversion pattern the BIS/FinCEN alerts describe. When a
data set holds both legs, they are linked by the hub party (importer of leg 1 = exporter of leg
2, compared by :func:`screening.names.normalise_name` key), the HS6 and, optionally, a date
window. The pairing is a hash join on (party key, HS6), never a loop over record pairs.

Dates arrive as ``YYYY-MM-DD``, ``YYYY-MM`` (a month) or null (see
:data:`screening.schema.TRADE_SCHEMA`); :func:`date_bounds` turns each into the first and last
day it can mean, so a month-level record is inside a window when any day of the month is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from screening.names import normalise_name

FIRST_LEG, SECOND_LEG = "first_leg", "second_leg"
ROUTE_CHAIN_COLUMNS = (
    "record_id",
    "route_chain_role",
    "route_chain_partner",
    "route_chain_count",
    "route_chain_reason",
)

CHAIN_INPUT_COLUMNS = (
    "record_id",
    "date",
    "exporter",
    "importer",
    "origin_iso2",
    "destination_iso2",
    "hs6",
)

Column = pa.Array | pa.ChunkedArray


def require_columns(table: pa.Table, columns: Sequence[str], caller: str) -> None:
    """A clear error naming the missing columns, instead of a KeyError deep inside."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(
            f"{caller} needs column(s) {', '.join(missing)}; the table has "
            f"{', '.join(table.column_names)}"
        )


def _strings(values: Column | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    return values if values.type == pa.string() else values.cast(pa.string())


def _day_range(text: str | None) -> tuple[np.datetime64, np.datetime64]:
    nat = np.datetime64("NaT", "D")
    if not text:
        return nat, nat
    text = text.strip()
    try:
        if len(text) == 10:
            day = np.datetime64(dt.date.fromisoformat(text), "D")
            return day, day
        if len(text) == 7:
            month = np.datetime64(text, "M")
            return month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]") - 1
    except ValueError:
        pass
    return nat, nat


def date_bounds(dates: Column | Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(earliest, latest) day each date can mean, as datetime64[D]; NaT when unknown.

    "2023-05-17" -> (2023-05-17, 2023-05-17); "2023-05" -> (2023-05-01, 2023-05-31); null,
    empty or unparseable text -> (NaT, NaT). Parsed once per distinct value.
    """
    encoded = pc.dictionary_encode(_strings(dates))
    ranges = [_day_range(t) for t in encoded.dictionary.to_pylist()]
    nat = np.datetime64("NaT", "D")
    lo = np.array([r[0] for r in ranges] + [nat], dtype="datetime64[D]")
    hi = np.array([r[1] for r in ranges] + [nat], dtype="datetime64[D]")
    index = pc.fill_null(encoded.indices.cast(pa.int64()), len(ranges))
    positions = index.to_numpy(zero_copy_only=False)
    return lo[positions], hi[positions]


KEY_CACHE_LIMIT = 5_000_000
"""Names whose keys are kept between calls; beyond, the cache starts again (memory bound)."""


class _PartyKeyCache:
    """Name -> normalised key, held as two Arrow string arrays rather than a dict.

    A 10M-row run asks for the keys of 1.5M distinct names; as a dict of Python strings they
    took about three times the memory of the same names and keys in Arrow buffers. Names
    come in chunks (one per matching job); they are joined, and duplicates dropped (the key
    handed in last wins, as a dict's update gave), when a lookup needs them, and looked up
    with a hash join (``pc.index_in``) in C."""

    def __init__(self) -> None:
        self._names: list[pa.Array] = []
        self._keys: list[pa.Array] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._names, self._keys, self._size = [], [], 0

    def add(self, names: pa.Array, keys: pa.Array) -> None:
        if len(names) != len(keys):
            raise ValueError(f"{len(names)} names but {len(keys)} keys")
        if self._size + len(names) > KEY_CACHE_LIMIT:
            self._joined()  # the names handed in twice counted once
            if self._size + len(names) > KEY_CACHE_LIMIT:
                self.clear()
        if len(names):
            self._names.append(names)
            self._keys.append(keys)
            self._size += len(names)

    def _joined(self) -> tuple[pa.Array, pa.Array]:
        """The names (each once) and their keys, as one chunk each."""
        if len(self._names) != 1:
            names = pa.concat_arrays(self._names) if self._names else pa.array([], pa.string())
            keys = pa.concat_arrays(self._keys) if self._keys else pa.array([], pa.string())
            distinct = pc.unique(names)
            if len(distinct) < len(names):  # a name handed in twice: the last key wins
                backwards = pa.array(np.arange(len(names) - 1, -1, -1), pa.int64())
                found = pc.index_in(distinct, value_set=names.take(backwards))
                last = pc.subtract(len(names) - 1, found.cast(pa.int64()))
                names, keys = distinct, keys.take(last)
            self._names, self._keys, self._size = [names], [keys], len(names)
        return self._names[0], self._keys[0]

    def find(self, distinct: pa.Array) -> tuple[list[str | None], np.ndarray]:
        """The key of each of ``distinct`` (distinct names; None where the cache holds none),
        and the positions of the names it does not hold at all. One hash join over the
        cache's names: asking whether a name is held, then for its key, built the hash table
        of every name held twice (0.6 s of a 1M-row run's driver)."""
        names, keys = self._joined()
        found = pc.index_in(distinct, value_set=names)
        unknown = np.flatnonzero(found.is_null().to_numpy(zero_copy_only=False))
        return keys.take(found).to_pylist(), unknown


_KEY_CACHE = _PartyKeyCache()


def remember_party_keys(known: Mapping[str, str | None]) -> None:
    """Keys computed elsewhere (a run's workers, each distinct name once) for this process's
    later ``party_keys`` calls: the driver of a run then normalises no name itself."""
    remember_party_key_arrays(
        pa.array(list(known.keys()), pa.string()), pa.array(list(known.values()), pa.string())
    )


def remember_party_key_arrays(names: Column, keys: Column) -> None:
    """:func:`remember_party_keys` from parallel arrays of names and keys (null: none)."""
    _KEY_CACHE.add(_strings(names), _strings(keys))


def party_keys(names: Column | Sequence[str | None]) -> np.ndarray:
    """Normalised name key per value (object array, None for empty); distinct names only.

    Keys are cached per name for the process: one run asks for the same names several
    times (surge totals per batch, re-export chains, the review store's party keys), and
    normalising a name is the costly part."""
    encoded = pc.dictionary_encode(_strings(names))
    distinct = encoded.dictionary
    keys: list[str | None] = []
    if len(distinct):
        keys, unknown = _KEY_CACHE.find(distinct)
        if len(_KEY_CACHE) + len(unknown) > KEY_CACHE_LIMIT:  # start again with these names
            _KEY_CACHE.clear()
            unknown = np.arange(len(distinct))
        if len(unknown):
            new_names = distinct.take(pa.array(unknown, pa.int64())).to_pylist()
            new_keys = [normalise_name(n).key or None for n in new_names]
            _KEY_CACHE.add(pa.array(new_names, pa.string()), pa.array(new_keys, pa.string()))
            for position, key in zip(unknown.tolist(), new_keys, strict=True):
                keys[position] = key
    lookup = np.array([*keys, None], dtype=object)
    index = pc.fill_null(encoded.indices.cast(pa.int64()), len(keys))
    return lookup[index.to_numpy(zero_copy_only=False)]


def _codes(table: pa.Table, column: str) -> pa.Array:
    return pc.utf8_upper(pc.utf8_trim_whitespace(_strings(table[column])))


def _in(values: pa.Array, codes: set[str]) -> np.ndarray:
    found = pc.is_in(values, value_set=pa.array(sorted(codes), pa.string()))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _gap_text(lo1: np.datetime64, lo2: np.datetime64, exact: bool) -> str:
    if np.isnat(lo1) or np.isnat(lo2):
        return "date of a leg unknown (window not checked)"
    days = int((lo2 - lo1).astype(int))
    if exact:
        return f"{days} day{'s' if abs(days) != 1 else ''} apart"
    months = int((lo2.astype("datetime64[M]") - lo1.astype("datetime64[M]")).astype(int))
    if months == 0:
        return "in the same month (month-level dates)"
    return f"about {months} month{'s' if months != 1 else ''} apart (month-level dates)"


def find_route_chains(
    screened: pa.Table,
    *,
    coalition: Sequence[str],
    hubs: Sequence[str],
    direct: Sequence[str],
    window_days: int | None = 180,
    allow_undated: bool = True,
    hs6_codes: Sequence[str] | None = None,
) -> pa.Table:
    """Mark both legs of every re-export chain; one row per input record, in input order.

    Leg 1: origin in ``coalition`` and destination in ``hubs``; leg 2: destination in
    ``direct``. A pair is a chain when leg 1's importer and leg 2's exporter have the same
    normalised name key, both records have the same HS6, and leg 2 can fall within
    ``window_days`` after leg 1 (month-level dates count when any of their days can;
    ``window_days=None`` only requires leg 2 not to precede leg 1; undated legs are kept only
    if ``allow_undated``, and their reason says the window was not checked).

    ``hs6_codes`` (e.g. the CHPL's) limits chains to those goods; by default any HS6 chains,
    and the risk score should then count a chain only with a goods or party signal.

    Reads ``record_id``, ``date``, ``exporter``, ``importer``, ``origin_iso2``,
    ``destination_iso2`` and ``hs6``. Returns ``ROUTE_CHAIN_COLUMNS``: the role
    (``first_leg`` / ``second_leg``, null when not in a chain), the record_id of the closest
    partner leg, how many partner legs there are, and the reason.
    """
    require_columns(screened, CHAIN_INPUT_COLUMNS, "find_route_chains")
    origin, destination = _codes(screened, "origin_iso2"), _codes(screened, "destination_iso2")
    hs6_array = _strings(screened["hs6"])
    coalition_set = {c.strip().upper() for c in coalition}
    direct_set = {c.strip().upper() for c in direct}
    hub_set = {c.strip().upper() for c in hubs} - direct_set
    has_hs = pc.fill_null(pc.greater(pc.utf8_length(hs6_array), 0), False).to_numpy(
        zero_copy_only=False
    )
    if hs6_codes is not None:
        has_hs &= _in(hs6_array, {str(c) for c in hs6_codes})
    leg1 = _in(origin, coalition_set) & _in(destination, hub_set) & has_hs
    leg2 = _in(destination, direct_set) & has_hs
    # Python values (keys, reasons) only for the candidate legs, then only for the legs that
    # have a partner: a large input holds millions of candidates and few chains
    first = _leg_keys(screened, "importer", np.flatnonzero(leg1), hs6_array, "row1")
    second = _leg_keys(screened, "exporter", np.flatnonzero(leg2), hs6_array, "row2")
    if first.num_rows == 0 or second.num_rows == 0:
        return _empty_result(screened)
    pairs = first.join(second, keys=["key", "hs6"], join_type="inner")
    if pairs.num_rows == 0:
        return _empty_result(screened)
    row1 = pairs["row1"].to_numpy()
    row2 = pairs["row2"].to_numpy()
    involved = np.union1d(row1, row2)
    lo_in, hi_in = date_bounds(screened["date"].take(pa.array(involved, pa.int64())))
    lo1, hi1 = lo_in[np.searchsorted(involved, row1)], hi_in[np.searchsorted(involved, row1)]
    lo2, hi2 = lo_in[np.searchsorted(involved, row2)], hi_in[np.searchsorted(involved, row2)]
    dated = ~np.isnat(lo1) & ~np.isnat(lo2)
    keep = dated | allow_undated
    in_order = (hi2 - lo1).astype(np.int64) >= 0
    if window_days is not None:
        in_order &= (lo2 - hi1).astype(np.int64) <= window_days
    keep &= np.where(dated, in_order, True)
    if not keep.any():
        return _empty_result(screened)
    row1, row2, dated = row1[keep], row2[keep], dated[keep]
    lo1, hi1, lo2, hi2 = lo1[keep], hi1[keep], lo2[keep], hi2[keep]
    gap = np.where(dated, np.abs((lo2 - lo1).astype(np.int64)), np.iinfo(np.int64).max)
    inexact = ~((lo1 == hi1) & (lo2 == hi2))
    frame = pd.DataFrame({"row1": row1, "row2": row2, "inexact": inexact, "gap": gap})
    return _pick_partners(screened, frame, origin=origin, destination=destination, hs6=hs6_array)


def _leg_keys(
    screened: pa.Table, role: str, rows: np.ndarray, hs6: pa.Array, row_column: str
) -> pa.Table:
    """(party key, HS6, row) of the candidate legs ``rows`` whose party has a key."""
    positions = pa.array(rows, pa.int64())
    keys = pa.array(party_keys(screened[role].take(positions)).tolist(), pa.string())
    table = pa.table({"key": keys, "hs6": hs6.take(positions), row_column: positions})
    return table.filter(pc.is_valid(table["key"]))


def _empty_result(screened: pa.Table) -> pa.Table:
    n = screened.num_rows
    return pa.table(
        {
            "record_id": _strings(screened["record_id"]),
            "route_chain_role": pa.nulls(n, pa.string()),
            "route_chain_partner": pa.nulls(n, pa.string()),
            "route_chain_count": pa.array(np.zeros(n, dtype=np.int32)),
            "route_chain_reason": pa.nulls(n, pa.string()),
        }
    )


def _pick_partners(
    screened: pa.Table,
    frame: pd.DataFrame,
    *,
    origin: pa.Array,
    destination: pa.Array,
    hs6: pa.Array,
) -> pa.Table:
    """Per record in a chain: its closest partner leg and the reason.

    Closest: day-level dates before month-level ones, then fewest days apart, then input order.
    Python values are read for the records of the chains only.
    """
    n = screened.num_rows
    involved = np.union1d(frame["row1"].to_numpy(), frame["row2"].to_numpy())
    take = pa.array(involved, pa.int64())

    def values(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
        return np.asarray(_strings(column).take(take).to_pylist(), dtype=object)

    record_id, importer = values(screened["record_id"]), values(screened["importer"])
    origins, destinations, goods = values(origin), values(destination), values(hs6)
    lo, hi = date_bounds(screened["date"].take(take))
    exact = lo == hi
    local = pd.DataFrame(
        {
            "row1": np.searchsorted(involved, frame["row1"].to_numpy()),
            "row2": np.searchsorted(involved, frame["row2"].to_numpy()),
            "inexact": frame["inexact"].to_numpy(),
            "gap": frame["gap"].to_numpy(),
            "order1": frame["row1"].to_numpy(),
            "order2": frame["row2"].to_numpy(),
        }
    )
    k = involved.size
    role = np.full(k, None, dtype=object)
    partner = np.full(k, None, dtype=object)
    count = np.zeros(k, dtype=np.int32)
    reason = np.full(k, None, dtype=object)
    local = local.sort_values(["inexact", "gap", "order1", "order2"], kind="stable")
    for own, other, label in (("row1", "row2", FIRST_LEG), ("row2", "row1", SECOND_LEG)):
        counts = local.groupby(own).size()
        best = local.drop_duplicates(own, keep="first")
        for mine, theirs in zip(best[own].tolist(), best[other].tolist(), strict=True):
            first, second = (mine, theirs) if label == FIRST_LEG else (theirs, mine)
            role[mine] = label
            partner[mine] = record_id[theirs]
            count[mine] = int(counts[mine])
            more = count[mine] - 1
            gap = _gap_text(lo[first], lo[second], bool(exact[first] and exact[second]))
            made_in = (
                f"; leg 2 goods of {origins[second]} origin"
                if origins[second] and origins[second] == origins[first]
                else ""
            )
            reason[mine] = (
                f"re-export chain: {origins[first]} → {destinations[first]} "
                f"(importer '{importer[first]}') → {destinations[second]} "
                f"(importer '{importer[second]}'), same HS {goods[first]}, "
                f"{gap}{made_in}; other leg: record {record_id[theirs]}"
                + (f" (+{more} more matching record{'s' if more != 1 else ''})" if more else "")
            )
    # the chain records' values spread to one row per input record (null elsewhere)
    slot = np.full(n, -1, dtype=np.int64)
    slot[involved] = np.arange(k)
    spread = pa.array(slot, mask=slot < 0)

    def column(values: np.ndarray | list[Any], kind: pa.DataType) -> pa.Array:
        return pa.array(values, kind).take(spread)

    return pa.table(
        {
            "record_id": _strings(screened["record_id"]),
            "route_chain_role": column(role.tolist(), pa.string()),
            "route_chain_partner": column(partner.tolist(), pa.string()),
            "route_chain_count": pc.fill_null(column(count, pa.int32()), 0),
            "route_chain_reason": column(reason.tolist(), pa.string()),
        }
    )
