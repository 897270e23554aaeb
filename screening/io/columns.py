"""Named columns of a trade file read as text, one value per data row.

Why: codes such as HS 0304.90 must never pass through a float (it would become 30490), and a
tool that reads one column of an analyst's file (``dualuse hs FILE --column``) must read it as
the trade loader does: same CSV dialect and encoding detection, same sheet handling, same
rejects for rows that cannot be split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from screening.errors import TradeReadError
from screening.io.layouts import load_trade_mappings, normalise_header
from screening.io.readers import (
    CSV_SUFFIXES,
    DEFAULT_BATCH_ROWS,
    PARQUET_SUFFIXES,
    XLSX_SUFFIXES,
    as_text,
    open_source,
)
from screening.io.readers.base import BlankRowCounter, RawBatch


def _find_column(headers: list[str], column: str, path: Path) -> int:
    """Index of ``column`` (exact, else same normalised header); error lists what was seen."""
    if column in headers:
        return headers.index(column)
    wanted = normalise_header(column)
    for index, header in enumerate(headers):
        if normalise_header(header) == wanted:
            return index
    raise TradeReadError(f"no column {column!r}; columns: {headers}", file=path, column=column)


def _read_parquet_columns(path: Path, columns: list[str]) -> list[pa.Array]:
    """Parquet columns as text, every row kept (integral floats lose their ``.0``)."""
    try:
        headers = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as exc:
        raise TradeReadError(f"cannot read as Parquet: {exc}", file=path) from exc
    names = [headers[_find_column(headers, c, path)] for c in columns]
    try:
        table = pq.read_table(path, columns=names)
    except (pa.ArrowException, OSError) as exc:
        raise TradeReadError(f"cannot read as Parquet: {exc}", file=path) from exc
    text = [as_text(table[name].combine_chunks()) for name in names]
    return [pc.if_else(pc.equal(c, ""), None, c) for c in text]


def read_text_columns(
    path: str | Path, columns: list[str]
) -> tuple[list[pa.Array], pa.Array | None]:
    """The named columns of a CSV/XLSX/Parquet file as text, and why a row could not be read.

    Rows the CSV parser cannot split (wrong number of fields) come back at their place with
    null cells and the reason in the second result (null elsewhere), so the output still has
    one row per data row. All-empty rows of a CSV or sheet are skipped; every Parquet row is
    kept.
    """
    path = Path(path)
    if not path.is_file():
        raise TradeReadError("file not found", file=path)
    mappings = load_trade_mappings()
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet_columns(path, columns), None
    if suffix not in XLSX_SUFFIXES | CSV_SUFFIXES:
        raise TradeReadError(
            f"unsupported file type {suffix or '(none)'}: use CSV, XLSX or Parquet", file=path
        )
    source = open_source(path, mappings, extra=columns)
    try:
        indexes = [_find_column(source.headers, c, path) for c in columns]
        blanks = BlankRowCounter()
        parts: list[list[pa.Array]] = [[] for _ in columns]
        numbers: list[pa.Array] = []
        rejects: list[dict[str, Any]] = []
        for batch in source.batches(DEFAULT_BATCH_ROWS):
            batch = blanks.drop(batch)
            for part, index in zip(parts, indexes, strict=True):
                part.append(batch.columns[index])
            numbers.append(batch.source_rows)
            rejects.extend(batch.rejects)
    finally:
        source.close()
    raw = RawBatch(
        columns=[pa.concat_arrays(p) if p else pa.array([], pa.string()) for p in parts],
        source_rows=pa.concat_arrays(numbers) if numbers else pa.array([], pa.int64()),
        rejects=rejects,
    )
    selected = list(raw.columns)
    problems = None
    if raw.rejects:
        rows = pa.concat_arrays(
            [raw.source_rows, pa.array([r["row"] for r in raw.rejects], pa.int64())]
        )
        order = pc.sort_indices(rows)
        nulls = pa.nulls(len(raw.rejects), pa.string())
        selected = [pa.concat_arrays([c, nulls]).take(order) for c in selected]
        reasons = pa.array(
            [f"row {r['row']} could not be read: {r['reason']}" for r in raw.rejects], pa.string()
        )
        problems = pa.concat_arrays([pa.nulls(raw.num_rows, pa.string()), reasons]).take(order)
    return selected, problems
