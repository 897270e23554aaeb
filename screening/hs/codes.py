"""HS codes as trade files really write them -> one clean digit string, with what was repaired.

Customs extracts pass through Excel, so an HS code arrives as ``8542.31``, ``8542 31 000 0``,
``854231.0`` (a float), ``8.54231E+5`` (scientific notation) or ``30490`` (a number that lost the
leading zero of chapter 03). Each value is repaired only where the repair is certain, the repair
is named in ``hs_issue``, and anything else is ``invalid`` with the reason: a wrong HS6 would
put a record in or out of the CHPL silently.

National codes keep their extra digits (CN/HTS-8, TN VED/HTS-10, Armenia's 11-digit codes); the
HS6 is their first six digits. Distinct values are normalised once and taken back onto the rows,
so a 10M-row column with 20k distinct codes costs two hash passes plus a short Python loop.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from screening.paths import REFERENCE_DIR

VALID, INVALID, MISSING = "valid", "invalid", "missing"

NATIONAL_CODE_LENGTHS = (6, 8, 10, 11)
"""Digits of the codes in use: HS6, CN/HTS-8, TN VED/HTS-10, Armenia's 11-digit extension."""

HS2022_FILE = REFERENCE_DIR / "hs" / "hs2022_nomenclature.csv"
HS2017_FILE = REFERENCE_DIR / "hs" / "hs2017_nomenclature.csv"

_DASHES = r"\-" + "\u2010\u2011\u2012\u2013\u2014"
_SEPARATED = re.compile(rf"[0-9][0-9\s.,{_DASHES}]*")
_SEPARATOR = re.compile(rf"[\s.,{_DASHES}]+")
_SCIENTIFIC = re.compile(r"\+?[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+")
_FLOAT = re.compile(r"([0-9]{5,})[.,]0+")
_SHORT_FRACTION = re.compile(r"([0-9]{3,4})[.,]([0-9])")
_MAX_CELL = 64
"""Longer cells are not codes (a description pasted into the HS column): refused unparsed."""
_UNUSED_CHAPTERS = {"00": "chapter 00 does not exist", "77": "chapter 77 is reserved and unused"}

Normalised = tuple[str | None, str, str | None]
"""(digits or None, status, issue or None) for one raw value."""


@functools.cache
def _hs6_codes(path: Path) -> frozenset[str]:
    """The six-digit subheadings of a bundled nomenclature file."""
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={"hscode": pa.string(), "level": pa.string()},
            include_columns=["hscode", "level"],
        ),
    )
    six = table.filter(pc.equal(table["level"], "6"))["hscode"]
    return frozenset(six.to_pylist())


def _digits_of(text: str) -> tuple[str | None, list[str], str | None, int, bool]:
    """Read one cleaned value: (digits, repairs, error, digits written, may restore a zero).

    "Digits written" matters for scientific notation, where Excel shows only some digits.
    """
    if _SCIENTIFIC.fullmatch(text):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None, [], f"unreadable scientific notation {text!r}", 0, False
        if not number.is_finite():
            return None, [], f"unreadable scientific notation {text!r}", 0, False
        # Bound the size before expanding: 1E5000 must not build a 5001-digit integer.
        if number.adjusted() + 1 > max(NATIONAL_CODE_LENGTHS):
            digits = number.adjusted() + 1
            return None, [], f"too long: {text!r} has {digits:,} digits (at most 11)", 0, False
        if number != number.to_integral_value():
            return None, [], f"scientific notation {text!r} is not a whole number", 0, False
        mantissa = re.sub(r"[^0-9]", "", text.lower().split("e")[0]).lstrip("0")
        return str(int(number)), ["expanded from scientific notation"], None, len(mantissa), True
    as_float = _FLOAT.fullmatch(text)
    if as_float:
        digits = as_float.group(1)
        return digits, ["float artefact removed"], None, len(digits), True
    short = _SHORT_FRACTION.fullmatch(text)
    if short:  # 8542.30 stored as a number and shown as 8542.3
        heading, subheading = short.groups()
        repairs = ["restored trailing zero of a number-formatted code"]
        if len(heading) == 3:
            repairs.append("restored leading zero")
        digits = heading.zfill(4) + subheading + "0"
        return digits, repairs, None, len(digits), False
    if not _SEPARATED.fullmatch(text):
        error = "not an HS code: characters other than digits and separators (. , - space)"
        return None, [], error, 0, False
    groups = [g for g in _SEPARATOR.split(text) if g]
    digits = "".join(groups)
    # A separator after an even first group (chapter "85", heading "8542") shows that the
    # leading digits were written in full, so an odd total is not a lost zero.
    return digits, [], None, len(digits), len(groups) == 1 or len(groups[0]) % 2 == 1


@functools.lru_cache(maxsize=131072)
def normalise_hs_code(raw: str | None, check_nomenclature: bool = True) -> Normalised:
    """One value -> (digits, status, issue). See :func:`normalise_hs_codes`."""
    if raw is None:
        return None, MISSING, None
    if len(raw) > _MAX_CELL:
        return None, INVALID, f"not an HS code: {len(raw):,} characters"
    text = unicodedata.normalize("NFKC", raw).strip().strip("'\"").strip()
    if not text:
        return None, MISSING, None
    digits, repairs, error, shown, may_restore_zero = _digits_of(text)
    if error or digits is None:
        return None, INVALID, error
    if may_restore_zero and len(digits) in (5, 7, 9):
        digits = "0" + digits
        repairs.append("restored leading zero")
        shown += 1
    if len(digits) < 6:
        return None, INVALID, f"too short: {len(digits)} digits (an HS subheading needs 6)"
    if len(digits) > max(NATIONAL_CODE_LENGTHS):
        return None, INVALID, f"too long: {len(digits)} digits (national codes have at most 11)"
    if digits[:2] in _UNUSED_CHAPTERS:
        return None, INVALID, _UNUSED_CHAPTERS[digits[:2]]
    if shown < 6:
        return (
            None,
            INVALID,
            (f"scientific notation shows only {shown} digits; the HS6 cannot be recovered"),
        )
    if shown < len(digits):
        repairs.append(f"digits after position {shown} were hidden by scientific notation")
    if len(digits) not in NATIONAL_CODE_LENGTHS:
        repairs.append(f"unusual length: {len(digits)} digits")
    if check_nomenclature and digits[:6] not in _hs6_codes(HS2022_FILE):
        in_2017 = digits[:6] in _hs6_codes(HS2017_FILE)
        repairs.append(
            "hs6 not in HS 2022 nomenclature" + (" (an HS 2017 subheading)" if in_2017 else "")
        )
    return digits, VALID, "; ".join(repairs) or None


def _as_strings(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.ChunkedArray:
    """Any column -> chunked strings; whole-number floats lose their ``.0`` first."""
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(values, from_pandas=True)
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if pa.types.is_floating(values.type):
        with contextlib.suppress(pa.ArrowInvalid):  # safe cast: keeps 854231.0, not 854231.5
            values = values.cast(pa.int64())
    if pa.types.is_null(values.type) or values.type != pa.string():
        values = values.cast(pa.string())
    return values


def normalise_hs_codes(
    values: pa.Array | pa.ChunkedArray | Sequence[str | None],
    *,
    check_nomenclature: bool = True,
) -> pa.Table:
    """hs_code_raw, hs_code, hs6, hs_status (valid / invalid / missing), hs_issue per value.

    ``hs_code`` is the national code as digits (6-11); ``hs6`` its first six. ``hs_issue`` says
    why a value is invalid, or what was repaired on a valid one ("restored leading zero",
    "float artefact removed", "expanded from scientific notation", "hs6 not in HS 2022
    nomenclature"); null when the value was clean.
    """
    raw = _as_strings(values)
    distinct = pc.unique(raw)
    results = [normalise_hs_code(v, check_nomenclature) for v in distinct.to_pylist()]
    positions = pc.index_in(raw, value_set=distinct)
    codes = pa.array([r[0] for r in results], type=pa.string())
    hs6 = pc.utf8_slice_codeunits(codes, 0, 6)
    status = pa.array([r[1] for r in results], type=pa.string())
    issue = pa.array([r[2] for r in results], type=pa.string())
    return pa.table(
        {
            "hs_code_raw": raw,
            "hs_code": codes.take(positions),
            "hs6": hs6.take(positions),
            "hs_status": status.take(positions),
            "hs_issue": issue.take(positions),
        }
    )


def match_code_prefixes(codes: pa.Array | pa.ChunkedArray, prefixes: pa.Array) -> pa.Array:
    """For each code, the row of the longest entry of ``prefixes`` it starts with, else null.

    One ``index_in`` per distinct prefix length, so a category table may list chapters,
    headings, HS6 or national codes side by side (issue #5) and still cost a few hash passes.
    """
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    codes = codes.cast(pa.string())
    prefixes = prefixes.cast(pa.string())
    lengths = sorted({len(p) for p in prefixes.to_pylist() if p}, reverse=True)
    matched = pa.nulls(len(codes), pa.int32())
    for length in lengths:
        candidates = pc.utf8_slice_codeunits(codes, 0, length)
        long_enough = pc.equal(pc.utf8_length(candidates), length)
        candidates = pc.if_else(long_enough, candidates, pa.scalar(None, pa.string()))
        found = pc.index_in(candidates, value_set=prefixes)
        matched = pc.coalesce(matched, found)
    return matched
