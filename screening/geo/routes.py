"""Where a shipment goes, in the classes an analyst cares about, with a reason per row.

A record bound for Russia or Belarus is the concern itself; one bound for a country that
BIS/FinCEN and the EU/UK name as a transshipment point for CHPL goods deserves a second look;
everything else is ``other``. A destination we could not read is never ``other``: it is
``unknown_destination``, and the reason says whether it was empty, unrecognised or not a code.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from screening.config import DEFAULT_TRANSSHIPMENT_COUNTRIES, DIRECT_DESTINATIONS
from screening.geo.countries import EXTRA_CODES, MISSING, country_display_name

DIRECT, TRANSSHIPMENT, OTHER, UNKNOWN_DESTINATION = (
    "direct_russia_belarus",
    "via_transshipment_hub",
    "other",
    "unknown_destination",
)
ROUTES = (DIRECT, TRANSSHIPMENT, OTHER, UNKNOWN_DESTINATION)

Column = pa.Array | pa.ChunkedArray | Sequence[str | None]


def _strings(values: Column) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.string(), from_pandas=True)
    return values if values.type == pa.string() else values.cast(pa.string())


def _codes(values: Column | None, length: int) -> pa.Array:
    if values is None:
        return pa.nulls(length, pa.string())
    return pc.utf8_upper(pc.utf8_trim_whitespace(_strings(values)))


@functools.cache
def _known_codes() -> pa.Array:
    codes = {c.alpha_2 for c in pycountry.countries} | set(EXTRA_CODES)
    return pa.array(sorted(codes), type=pa.string())


def _labelled(codes: pa.Array) -> pa.Array:
    """ "Kazakhstan (KZ)" for each code; null stays null."""
    labels = []
    for code in codes.to_pylist():
        name = None if code is None else country_display_name(code)
        labels.append(None if code is None else code if name == code else f"{name} ({code})")
    return pa.array(labels, type=pa.string())


def _join(*parts: str | pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _distinct_rows(columns: list[pa.Array]) -> tuple[list[pa.Array], pa.Array]:
    """The distinct combinations of ``columns`` and, per row, the index of its combination.

    A 10M-row file has a few hundred (destination, origin, status, spelling) combinations, so
    reasons are built for those and taken back onto the rows.
    """
    combo: pa.Array | None = None
    for column in columns:
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        codes = encoded.indices.cast(pa.int64())
        if combo is not None:
            codes = pc.add(pc.multiply(combo, len(encoded.dictionary)), codes)
        combo = pc.dictionary_encode(codes).indices.cast(pa.int64())
    assert combo is not None
    ids = combo.to_numpy()
    first_row = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int64)
    first_row[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    rows = pa.array(first_row)
    return [c.take(rows) for c in columns], combo.cast(pa.int32())


def classify_routes(
    origin_iso2: Column | None,
    destination_iso2: Column,
    *,
    direct: Sequence[str] = DIRECT_DESTINATIONS,
    transshipment: Sequence[str] = DEFAULT_TRANSSHIPMENT_COUNTRIES,
    destination_status: Column | None = None,
    destination_raw: Column | None = None,
) -> pa.Table:
    """``route`` and ``route_reason`` for each record, from its destination.

    ``destination_status`` / ``destination_raw`` are the ``country_status`` / ``country_raw``
    columns of :func:`screening.geo.normalise_countries`; with them an unreadable destination
    is explained as missing or as "destination value 'OTHER COUNTRY' not recognised". The
    origin only adds context to a transshipment reason.
    """
    destination = _codes(destination_iso2, 0)
    length = len(destination)
    columns = [
        destination,
        _codes(origin_iso2, length),
        _strings(destination_status) if destination_status is not None else None,
        _strings(destination_raw) if destination_raw is not None else None,
    ]
    for name, column in zip(("origin", "status", "raw"), columns[1:], strict=True):
        if column is not None and len(column) != length:
            raise ValueError(f"{name} has {len(column)} values but destination has {length}")
    present = [c for c in columns if c is not None]
    distinct, positions = _distinct_rows(present)
    it = iter(distinct)
    combos = [next(it) if c is not None else None for c in columns]
    route, reason = _classify_distinct(*combos, direct=direct, transshipment=transshipment)
    return pa.table({"route": route.take(positions), "route_reason": reason.take(positions)})


def _classify_distinct(
    destination: pa.Array,
    origin: pa.Array,
    status: pa.Array | None,
    raw: pa.Array | None,
    *,
    direct: Sequence[str],
    transshipment: Sequence[str],
) -> tuple[pa.Array, pa.Array]:
    direct_codes = {c.strip().upper() for c in direct}
    hub_codes = {c.strip().upper() for c in transshipment} - direct_codes
    is_direct = pc.is_in(destination, value_set=pa.array(sorted(direct_codes), pa.string()))
    is_hub = pc.is_in(destination, value_set=pa.array(sorted(hub_codes), pa.string()))
    is_known = pc.or_(is_direct, pc.is_in(destination, value_set=_known_codes()))
    cases = pc.make_struct(is_direct, is_hub, is_known)
    route = pc.case_when(cases, *(pa.scalar(r) for r in ROUTES))

    listed_by = (
        "listed by BIS/FinCEN"
        if tuple(transshipment) == DEFAULT_TRANSSHIPMENT_COUNTRIES
        else "on the configured transshipment list"
    )
    destination_label = _labelled(destination)
    origin_note = pc.if_else(
        pc.fill_null(pc.equal(origin, destination), False),
        "; origin is the same country",
        pc.fill_null(_join("; origin ", _labelled(origin)), ""),
    )
    reason = pc.case_when(
        cases,
        _join("destination ", destination_label),
        _join(
            "destination ", destination_label, f" is a transshipment hub {listed_by}", origin_note
        ),
        _join(
            "destination ",
            destination_label,
            " is neither Russia/Belarus nor a listed transshipment hub",
        ),
        _unknown_reasons(destination, status, raw),
    )
    return route, reason


def _unknown_reasons(
    destination: pa.Array, status: pa.Array | None, raw: pa.Array | None
) -> pa.Array:
    """Why a destination cannot be used: not a code, empty, or which value was not recognised."""
    if status is None and raw is None:
        fallback: pa.Array | str = "destination country missing or not recognised"
    else:
        missing = pa.repeat(False, len(destination))
        if status is not None:
            missing = pc.fill_null(pc.equal(status, MISSING), False)
        unrecognised: pa.Array | str = "destination value not recognised"
        if raw is not None:
            blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(raw), ""), True)
            missing = pc.or_(missing, blank)
            unrecognised = _join("destination value '", raw, "' not recognised")
        fallback = pc.if_else(missing, "destination country missing (empty)", unrecognised)
    return pc.if_else(
        pc.is_valid(destination),
        _join("destination code '", destination, "' is not an ISO 3166 alpha-2 code"),
        fallback,
    )
