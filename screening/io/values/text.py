"""Cell text as the canonical fields want it: trimmed, with vendor null markers as null."""

from __future__ import annotations

import functools
import itertools

import pyarrow as pa
import pyarrow.compute as pc


@functools.cache
def _every_casing(null_markers: frozenset[str]) -> pa.Array:
    """Each marker in every upper/lower casing ("null", "Null", "NULL"...): one hash lookup per
    cell instead of upper-casing every cell first."""
    spelled: set[str] = set()
    for marker in null_markers:
        options = [(c.lower(), c.upper()) if c.lower() != c.upper() else (c,) for c in marker]
        spelled.update("".join(p) for p in itertools.product(*options))
    return pa.array(sorted(spelled), pa.string())


def clean_text(values: pa.Array, null_markers: frozenset[str]) -> pa.Array:
    """Trimmed text; empty cells and vendor null markers ("NULL", "N/A") become null."""
    text = pc.utf8_trim_whitespace(values)
    marker = pc.is_in(text, value_set=_every_casing(null_markers))
    return pc.if_else(pc.or_(pc.equal(text, ""), marker), None, text)


def null_strings(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())
