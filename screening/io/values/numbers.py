"""Values and quantities: text -> float64, with the reason when a cell is not a usable amount.

A value that is not a number, infinite, too large for a float, or negative is no reason to drop
a record (its parties and goods are still screened), but an analyst must see why its amount is
missing or odd: each such cell gets a reason in ``value_issue``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d+,\d+$"
_MAX_TEXT = 64
"""Longer cells are not amounts (and are not handed to the float parser)."""


def _all_plain_numbers(text: pa.Array) -> pa.Array | None:
    """float64 of ``text`` when every cell casts to a finite number, else None."""
    try:
        parsed = text.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not pc.all(pc.fill_null(pc.is_finite(parsed), True)).as_py():
        return None
    if not pc.all(pc.fill_null(pc.less_equal(pc.utf8_length(text), _MAX_TEXT), True)).as_py():
        return None
    return parsed


def _join_issue(issue: pa.Array, condition: pa.Array, text: str) -> pa.Array:
    condition = pc.fill_null(condition, False)
    return pc.if_else(condition, pc.coalesce(issue, pa.scalar(text)), issue)


def parse_numbers(values: pa.Array, field: str) -> tuple[pa.Array, pa.Array]:
    """(float64 amounts, issue text per row) for one column of cleaned text.

    "1,234.5" and "12,5" are read; other text, infinities, overflows (1e309) and NaN become null
    with the reason; negative amounts are kept and named. The issue reads
    ``"<field>: <reason> ('<cell>')"`` and is null for clean and empty cells.
    """
    text = pc.utf8_trim_whitespace(values)
    fast = _all_plain_numbers(text)
    if fast is not None:  # the common case: every cell a plain finite number
        issue = pa.nulls(len(values), pa.string())
        negative = pc.fill_null(pc.less(fast, 0), False)
        if pc.any(negative).as_py():
            quoted = pc.binary_join_element_wise(
                pa.scalar(" ('"), pc.utf8_slice_codeunits(values, 0, 40), pa.scalar("')"), ""
            )
            issue = pc.if_else(
                negative,
                pc.binary_join_element_wise(pa.scalar(f"{field}: negative"), quoted, ""),
                issue,
            )
        return fast, issue
    text = pc.if_else(
        pc.match_substring_regex(text, _THOUSANDS), pc.replace_substring(text, ",", ""), text
    )
    text = pc.if_else(
        pc.match_substring_regex(text, _DECIMAL_COMMA), pc.replace_substring(text, ",", "."), text
    )
    short = pc.less_equal(pc.utf8_length(text), _MAX_TEXT)
    numeric = pc.fill_null(pc.and_(pc.match_substring_regex(text, _NUMBER), short), False)
    parsed = pc.if_else(numeric, text, None).cast(pa.float64())
    finite = pc.fill_null(pc.is_finite(parsed), False)
    result = pc.if_else(finite, parsed, None)
    quoted = pc.binary_join_element_wise(
        pa.scalar(" ('"), pc.utf8_slice_codeunits(values, 0, 40), pa.scalar("')"), ""
    )
    issue = pa.nulls(len(values), pa.string())
    present = pc.is_valid(values)
    issue = _join_issue(issue, pc.and_(present, pc.invert(numeric)), "not a number")
    issue = _join_issue(
        issue, pc.and_(numeric, pc.invert(finite)), "too large for a number (overflow)"
    )
    issue = _join_issue(issue, pc.less(result, 0), "negative")
    labelled = pc.binary_join_element_wise(pa.scalar(f"{field}: "), issue, quoted, "")
    return result, labelled


def combine_issues(*issues: pa.Array) -> pa.Array:
    """One "; "-joined issue text per row from several (null where all are null)."""
    combined = issues[0]
    for issue in issues[1:]:
        both = pc.binary_join_element_wise(combined, issue, "; ")  # null if either is null
        combined = pc.coalesce(both, combined, issue)
    return combined
