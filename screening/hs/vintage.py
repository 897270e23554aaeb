"""HS editions: read a code in the edition it was recorded in, and carry it to another one.

Trade data recorded before 2022 (and some national feeds well after) use HS 2017, while the
CHPL and most control lists are written in HS 2022. The UNSD correlation table links the two
editions subheading by subheading; a code that was split between several subheadings has
several candidates, and a screening tool must name them rather than silently miss the one
that is listed (issue #5). ``854890`` of HS 2017, for example, became ``854800`` and fifteen
other HS 2022 subheadings.

The table's ``relationship`` is read as (HS 2022 side):(HS 2017 side): ``n:1`` means one HS
2017 code split into n HS 2022 codes. Which codes are ambiguous is decided from the candidate
set itself (more than one candidate), so the labels need not be trusted for it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from screening.errors import ListParseError
from screening.hs.chpl import _read_strings
from screening.hs.codes import HS2017_FILE, HS2022_FILE, _as_strings, _hs6_codes
from screening.paths import REFERENCE_DIR

HS_EDITIONS = ("2017", "2022")
"""Editions the bundled nomenclatures and correlation table cover, oldest first."""
CURRENT_EDITION = "2022"
CORRELATION_FILE = REFERENCE_DIR / "hs" / "hs2022_hs2017_correlation.csv"
CORRELATION_COLUMNS = ("hs2022", "hs2017", "relationship")
RELATIONSHIPS = ("1:1", "1:n", "n:1", "n:n")

_NOMENCLATURE_FILES = {"2017": HS2017_FILE, "2022": HS2022_FILE}


def check_edition(edition: str | None, *, allow_none: bool = False) -> str | None:
    """The edition as a string ("2017"/"2022"), or ValueError naming the known ones."""
    if edition is None and allow_none:
        return None
    text = str(edition)
    if text not in HS_EDITIONS:
        raise ValueError(f"unknown HS edition {edition!r}; expected one of {HS_EDITIONS}")
    return text


def hs6_in_edition(
    hs6: pa.Array | pa.ChunkedArray | Sequence[str | None], edition: str
) -> pa.Array:
    """True where the six-digit code is a subheading of ``edition`` (False for null)."""
    edition = check_edition(edition)
    codes = _as_strings(hs6).combine_chunks()
    known = pa.array(sorted(_hs6_codes(_NOMENCLATURE_FILES[edition])), pa.string())
    return pc.is_in(codes, value_set=known)


@functools.cache
def _bundled_correlation() -> pa.Table:
    return load_correlation(CORRELATION_FILE)


def load_correlation(path: str | Path | None = None) -> pa.Table:
    """hs2022, hs2017, relationship of the UNSD correlation table, checked row by row.

    ``None`` loads the bundled table (parsed once per process). Raises
    :class:`ListParseError` naming file, row and column for a code that is not six digits or
    an unknown relationship.
    """
    if path is None:
        return _bundled_correlation()
    path = Path(path)
    table = _read_strings(path, CORRELATION_COLUMNS)
    for column in ("hs2022", "hs2017"):
        bad = pc.invert(pc.match_substring_regex(table[column], r"^[0-9]{6}$"))
        _raise_first(bad, table[column], path, column, "is not a six-digit HS code")
    bad = pc.invert(pc.is_in(table["relationship"], value_set=pa.array(RELATIONSHIPS)))
    _raise_first(bad, table["relationship"], path, "relationship", f"is not one of {RELATIONSHIPS}")
    return table.combine_chunks()


def _raise_first(
    bad: pa.ChunkedArray, values: pa.ChunkedArray, path: Path, column: str, message: str
) -> None:
    """ListParseError for the first flagged row (spreadsheet numbering: header is row 1)."""
    if pc.any(bad).as_py():
        index = pc.index(bad, True).as_py()
        raise ListParseError(
            f"{values[index].as_py()!r} {message}", file=path, row=index + 2, column=column
        )


def correlation_pairs(source: str, target: str, correlation: pa.Table | None = None) -> pa.Table:
    """The correlation as ``source_hs6, target_hs6, relationship`` for one direction.

    Identity pairs (every subheading of ``source`` to itself) when the editions are equal.
    """
    source, target = check_edition(source), check_edition(target)
    if source == target:
        codes = pa.array(sorted(_hs6_codes(_NOMENCLATURE_FILES[source])), pa.string())
        return pa.table(
            {
                "source_hs6": codes,
                "target_hs6": codes,
                "relationship": pa.array(["1:1"] * len(codes), pa.string()),
            }
        )
    table = correlation if correlation is not None else load_correlation()
    return pa.table(
        {
            "source_hs6": table[f"hs{source}"],
            "target_hs6": table[f"hs{target}"],
            "relationship": table["relationship"],
        }
    )


def convert_hs6(
    hs6: pa.Array | pa.ChunkedArray | Sequence[str | None],
    *,
    source: str,
    target: str,
    correlation: pa.Table | None = None,
) -> pa.Table:
    """hs6, candidates (sorted list of ``target`` codes), relationships, one row per input.

    ``candidates`` is empty for a code the correlation does not know (null for null input);
    more than one candidate means the code was split and only a national code or the goods
    description can tell which one applies.
    """
    codes = _as_strings(hs6).combine_chunks()
    pairs = correlation_pairs(source, target, correlation)
    distinct = pc.unique(codes.drop_null())
    found = (
        pa.table({"source_hs6": distinct})
        .join(pairs, "source_hs6", join_type="inner")
        .sort_by([("source_hs6", "ascending"), ("target_hs6", "ascending")])
    )
    grouped = found.group_by("source_hs6", use_threads=False).aggregate(
        [("target_hs6", "list"), ("relationship", "distinct")]
    )
    lookup = dict(
        zip(
            grouped["source_hs6"].to_pylist(),
            zip(
                grouped["target_hs6_list"].to_pylist(),
                grouped["relationship_distinct"].to_pylist(),
                strict=True,
            ),
            strict=True,
        )
    )
    candidates, relationships = [], []
    for code in distinct.to_pylist():
        targets, labels = lookup.get(code, ([], []))
        candidates.append(targets)
        relationships.append(sorted(labels))
    positions = pc.index_in(codes, value_set=distinct)
    list_type = pa.list_(pa.string())
    return pa.table(
        {
            "hs6": codes,
            "candidates": pa.array(candidates, list_type).take(positions),
            "relationships": pa.array(relationships, list_type).take(positions),
        }
    )


def resolve_editions(
    hs6: pa.Array | pa.ChunkedArray | Sequence[str | None], vintage: str | None = None
) -> pa.Array:
    """The edition each code is read in: ``vintage`` when forced, else HS 2022 where the code
    is an HS 2022 subheading, HS 2017 where it is only an HS 2017 one, HS 2022 otherwise.

    A code that exists in neither is read as HS 2022 (its hs_issue already says it is not in
    the nomenclature); null codes stay null.
    """
    vintage = check_edition(vintage, allow_none=True)
    codes = _as_strings(hs6).combine_chunks()
    if vintage is not None:
        return pc.if_else(pc.is_null(codes), None, pa.scalar(vintage))
    only_2017 = pc.and_(pc.invert(hs6_in_edition(codes, "2022")), hs6_in_edition(codes, "2017"))
    edition = pc.if_else(only_2017, pa.scalar("2017"), pa.scalar(CURRENT_EDITION))
    return pc.if_else(pc.is_null(codes), None, edition)
