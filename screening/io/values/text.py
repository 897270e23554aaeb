"""Cell text as the canonical fields want it: trimmed, with vendor null markers as null."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def clean_text(values: pa.Array, null_markers: frozenset[str]) -> pa.Array:
    """Trimmed text; empty cells and vendor null markers ("NULL", "N/A") become null."""
    text = pc.utf8_trim_whitespace(values)
    marker = pc.is_in(pc.utf8_upper(text), value_set=pa.array(sorted(null_markers), pa.string()))
    return pc.if_else(pc.or_(pc.equal(text, ""), marker), None, text)


def null_strings(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())
