"""The Common High Priority List (CHPL): which HS6 codes are flagged, at which tier.

The CHPL (BIS/EU/UK/Japan, version of 2024-02-23) names 50 six-digit HS codes in tiers
1, 2, 3.A, 3.B, 4.A and 4.B; tier is kept as a string because "3.A" is not a number. The table
is data (``reference_lists/hs/chpl_common_high_priority_list.csv``, or a replacement named in
the config), validated on load so a typo cannot silently drop a code.

Classification is a prefix join (:func:`screening.hs.codes.match_code_prefixes`), so the same
call works on HS6 or national codes, and a future category file that lists codes at other
levels (issue #5) can reuse it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from screening.errors import ListParseError
from screening.hs.codes import match_code_prefixes
from screening.paths import REFERENCE_DIR

CHPL_FILE = REFERENCE_DIR / "hs" / "chpl_common_high_priority_list.csv"
CHPL_TIERS = ("1", "2", "3.A", "3.B", "4.A", "4.B")
CHPL_COLUMNS = ("hs6", "tier", "description", "tier_summary")

_HS6 = re.compile(r"[0-9]{6}")


def _read_strings(path: Path, columns: tuple[str, ...]) -> pa.Table:
    """The named columns of a CSV, all as strings; a missing column is an error naming it."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False
            ),
        )
    except FileNotFoundError as exc:
        raise ListParseError("file not found", file=path) from exc
    except pa.ArrowInvalid as exc:
        raise ListParseError(f"not a readable CSV: {exc}", file=path) from exc
    for column in columns:
        if column not in table.column_names:
            raise ListParseError(
                f"missing column; the header has {table.column_names}",
                file=path,
                row=1,
                column=column,
            )
    return table.select(list(columns))


def load_chpl(path: str | Path | None = None) -> pa.Table:
    """hs6, tier, description, tier_summary of the CHPL, checked row by row.

    Raises :class:`ListParseError` naming file, row (as a spreadsheet shows it) and column for
    a code that is not six digits, a code listed twice or a tier outside ``CHPL_TIERS``.
    """
    path = Path(path) if path is not None else CHPL_FILE
    table = _read_strings(path, CHPL_COLUMNS)
    first_row: dict[str, int] = {}
    for index, (code, tier) in enumerate(
        zip(table["hs6"].to_pylist(), table["tier"].to_pylist(), strict=True)
    ):
        row = index + 2  # the header is row 1
        if not _HS6.fullmatch(code):
            raise ListParseError(
                f"{code!r} is not a six-digit HS code", file=path, row=row, column="hs6"
            )
        if code in first_row:
            raise ListParseError(
                f"{code} is listed twice (first at row {first_row[code]})",
                file=path,
                row=row,
                column="hs6",
            )
        first_row[code] = row
        if tier not in CHPL_TIERS:
            raise ListParseError(
                f"unknown tier {tier!r}; expected one of {CHPL_TIERS}",
                file=path,
                row=row,
                column="tier",
            )
    if table.num_rows == 0:
        raise ListParseError("the CHPL table has no rows", file=path)
    return table


def classify_chpl(hs6: pa.Array | pa.ChunkedArray, chpl: pa.Table) -> pa.Table:
    """chpl_tier and chpl_description for each code (null when the code is not on the CHPL).

    ``hs6`` may hold six-digit or longer national codes: a code matches when it starts with a
    listed HS6. Invalid or missing codes (null) match nothing.
    """
    rows = match_code_prefixes(hs6, chpl["hs6"].combine_chunks())
    return pa.table(
        {
            "chpl_tier": pc.take(chpl["tier"], rows),
            "chpl_description": pc.take(chpl["description"], rows),
        }
    )
