"""Load trade/customs files (CSV, XLSX, Parquet) onto the canonical trade fields, whole.

Every data row either lands in ``table`` (canonical fields, then every other input column as
``src_<header>``) or in ``rejects`` with the row number a spreadsheet or text editor shows, so an
analyst can always find where a record came from and nothing is silently dropped. This module
collects the batches of :mod:`screening.io.batches` into one table; a run that must stay in
bounded memory uses those batches directly. Readers per format live in
:mod:`screening.io.readers`, value parsing in :mod:`screening.io.values`, the mapping onto the
canonical fields in :mod:`screening.io.canonical`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from screening.io.batches import TradeFile, TradeFileInfo
from screening.io.readers import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    TRADE_SUFFIXES,
    XLSX_SUFFIXES,
)
from screening.io.values.dates import parse_trade_date
from screening.schema import REJECT_SCHEMA, TRADE_SCHEMA

__all__ = [
    "CSV_SUFFIXES",
    "PARQUET_SUFFIXES",
    "XLSX_SUFFIXES",
    "TradeLoadResult",
    "iter_trade_files",
    "load_trade_file",
    "load_trade_files",
    "parse_trade_date",
]

WHOLE_FILE_BATCH_ROWS = 1 << 20
"""Batch size when a whole file is loaded into one table anyway."""


@dataclass(frozen=True)
class TradeLoadResult:
    """A loaded trade file: records, rejects, and how the file was read."""

    table: pa.Table
    """TRADE_SCHEMA columns followed by ``src_<original header>`` string columns."""
    rejects: pa.Table
    """REJECT_SCHEMA rows: data rows that could not become records."""
    rows_in: int
    """Data rows read (not all-empty ones): always ``table.num_rows + rejects.num_rows``."""
    layout: str
    header_row: int | None
    """1-based row of the header as a spreadsheet shows it (None for Parquet)."""
    mapping: dict[str, str]
    """Field (canonical or helper: flow, reporter_country, partner_country) -> input column."""
    notes: list[str]
    """What the loader inferred or filled in, for the run manifest and the analyst."""
    blank_rows: int = 0
    """All-empty rows between the header and the last record: skipped, not records."""
    parts: tuple[TradeLoadResult, ...] = field(default=(), repr=False)
    """Per-file results when several files were loaded together."""
    files: tuple[TradeFileInfo, ...] = field(default=(), repr=False)
    """How each file was read (format, encoding, sha256, layout, counts) for the manifest."""


def load_trade_file(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    header_row: int | None = None,
    reporter_country: str | None = None,
    flow: str | None = None,
    sheet: str | int | None = None,
) -> TradeLoadResult:
    """Load one CSV/XLSX/Parquet trade file onto the canonical fields.

    ``mapping`` (field -> column) overrides the auto-detected columns field by field; an empty
    column leaves a field unmapped. ``header_row`` is 1-based as a spreadsheet shows it.
    ``reporter_country``/``flow`` describe the whole file and win over what the file name says.
    """
    trade_file = TradeFile(
        path,
        mapping=mapping,
        header_row=header_row,
        reporter_country=reporter_country,
        flow=flow,
        sheet=sheet,
    )
    batches = list(trade_file.batches(WHOLE_FILE_BATCH_ROWS))
    info = trade_file.info
    table = pa.concat_tables([b.records for b in batches])
    rejects = pa.concat_tables([b.rejects for b in batches])
    if rejects.num_rows > 1:
        rejects = rejects.sort_by("row")
    return TradeLoadResult(
        table=table,
        rejects=rejects,
        rows_in=info.rows_in,
        layout=info.layout,
        header_row=info.header_row,
        mapping=info.mapping,
        notes=list(info.notes),
        blank_rows=info.blank_rows,
        files=(info,),
    )


def load_trade_files(paths: Iterable[str | Path], **options: Any) -> TradeLoadResult:
    """Load several files with the same options and concatenate them (src_ columns unified)."""
    files = [Path(p) for p in paths]
    parts = [load_trade_file(p, **options) for p in files]
    if not parts:
        return TradeLoadResult(
            table=TRADE_SCHEMA.empty_table(),
            rejects=REJECT_SCHEMA.empty_table(),
            rows_in=0,
            layout="none",
            header_row=None,
            mapping={},
            notes=["no files given"],
        )
    if len(parts) == 1:
        return parts[0]
    notes = []
    for file, part in zip(files, parts, strict=True):
        notes.append(
            f"{file.name}: layout {part.layout}, header row {part.header_row}, "
            f"{part.table.num_rows} records, {part.rejects.num_rows} rejects"
        )
        notes.extend(f"{file.name}: {n}" for n in part.notes)
    layouts = list(dict.fromkeys(p.layout for p in parts))
    header_rows = {p.header_row for p in parts}
    mappings = [p.mapping for p in parts]
    return TradeLoadResult(
        table=pa.concat_tables([p.table for p in parts], promote_options="permissive"),
        rejects=pa.concat_tables([p.rejects for p in parts]),
        rows_in=sum(p.rows_in for p in parts),
        layout=", ".join(layouts),
        header_row=header_rows.pop() if len(header_rows) == 1 else None,
        mapping=mappings[0] if all(m == mappings[0] for m in mappings) else {},
        notes=notes,
        blank_rows=sum(p.blank_rows for p in parts),
        parts=tuple(parts),
        files=tuple(f for p in parts for f in p.files),
    )


def iter_trade_files(folder: str | Path) -> Iterator[Path]:
    """Trade files in ``folder`` (CSV, XLSX, Parquet), sorted by name; Excel lock files skipped."""
    for path in sorted(Path(folder).iterdir()):
        if (
            path.is_file()
            and path.suffix.lower() in TRADE_SUFFIXES
            and not path.name.startswith("~$")
        ):
            yield path
