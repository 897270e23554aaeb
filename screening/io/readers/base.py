"""What every format reader hands to canonicalisation: headers, then string batches.

A reader finds the header (a vendor banner may sit above it), names the columns, and then yields
the data rows in batches of text columns with the row number a spreadsheet or editor shows, so a
file of any length is read in bounded memory and every row can be traced back to where it was.
Rows the reader cannot split go to ``rejects``; all-empty rows are counted, not returned.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_BATCH_ROWS = 100_000
"""Rows per batch when the caller does not say: a few tens of MB of text for wide vendor files."""


@dataclass
class RawBatch:
    """Data rows of one file read as strings (empty cells null), one column per header."""

    columns: list[pa.Array]
    source_rows: pa.Array
    """1-based row number of each row as a spreadsheet or text editor shows it."""
    rejects: list[dict[str, Any]] = field(default_factory=list)
    """REJECT_SCHEMA dicts for rows the reader could not split into the header's columns."""
    blank_rows: int = 0
    """All-empty rows skipped in this batch that lie before a later record."""

    @property
    def num_rows(self) -> int:
        return len(self.source_rows)


class RawSource(Protocol):
    """An opened trade file whose header is known and whose rows are still to be read."""

    path: Path
    headers: list[str]
    header_row: int | None
    """1-based header row as a spreadsheet shows it (None for Parquet)."""
    notes: list[str]
    encoding: str | None
    """Text encoding of a CSV (None for binary formats)."""
    from_excel: bool
    """True when bare day numbers in date columns are Excel serial dates."""
    format: str

    def batches(self, batch_rows: int) -> Iterator[RawBatch]: ...

    def close(self) -> None: ...


def unique_headers(cells: Sequence[str | None]) -> list[str]:
    """Header texts with blanks named ``column_<n>`` and repeats suffixed ``.1``, ``.2``."""
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = (cell or "").strip() or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        headers.append(name)
    return headers


def first_non_empty(rows: Sequence[Sequence[str | None]]) -> int | None:
    return next(
        (i for i, row in enumerate(rows) if any(c is not None and c.strip() for c in row)), None
    )


def is_blank(row: Sequence[str | None]) -> bool:
    return all(c is None or not c.strip() for c in row)


def empty_to_null(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(array, ""), None, array)


class BlankRowCounter:
    """Drops all-empty rows from batches, counting only those that precede a later record.

    Blank rows after the last record are spreadsheet formatting tails, not gaps in the data, so
    a run of blank rows is counted only once a record follows it, possibly batches later.
    """

    def __init__(self) -> None:
        self.pending = 0

    def drop(self, batch: RawBatch) -> RawBatch:
        if batch.num_rows == 0 or not batch.columns:
            return batch
        blank = None
        for column in batch.columns:
            # readers hand empty cells over as null: a blank cell is null or all whitespace
            empty = pc.fill_null(pc.or_(pc.utf8_is_space(column), pc.equal(column, "")), True)
            blank = empty if blank is None else pc.and_(blank, empty)
        assert blank is not None
        flags = blank.to_numpy(zero_copy_only=False)
        if not flags.any():
            batch.blank_rows += self.pending
            self.pending = 0
            return batch
        keep = ~flags
        if keep.any():
            last = int(np.flatnonzero(keep)[-1])
            batch.blank_rows += self.pending + int(flags[: last + 1].sum())
            self.pending = int(flags[last + 1 :].sum())
        else:
            self.pending += int(flags.sum())
        mask = pa.array(keep)
        batch.columns = [c.filter(mask) for c in batch.columns]
        batch.source_rows = batch.source_rows.filter(mask)
        return batch
