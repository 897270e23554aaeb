"""Parquet reader: row groups streamed with ``iter_batches``, every column turned into text.

Parquet has no header row and no banner, so rows are numbered 1.. in file order. Numbers lose
float artefacts (an HS code stored as 854231.0 is "854231"), nested cells (lists, structs, maps)
become JSON and undecodable binary becomes hex, so the text an analyst sees in ``src_`` columns
is the value and never a Python repr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from screening.errors import TradeReadError
from screening.io.readers.base import RawBatch, empty_to_null, unique_headers


def _json_default(value: Any) -> str:
    if isinstance(value, bytes):
        return _bytes_text(value)
    return str(value)  # dates, decimals, times: their ISO / plain text


def _bytes_text(value: bytes) -> str:
    """UTF-8 text when the bytes are text (Parquet written without a string annotation), else
    hex prefixed ``0x``."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()


def _nested_text(array: pa.Array) -> pa.Array:
    """Lists, structs and maps as compact JSON (maps as objects when their keys are text)."""
    out = []
    is_map = pa.types.is_map(array.type)
    for value in array.to_pylist():
        if value is None:
            out.append(None)
            continue
        if is_map:
            value = {str(k): v for k, v in value}
        out.append(json.dumps(value, ensure_ascii=False, default=_json_default))
    return pa.array(out, pa.string())


def as_text(array: pa.Array) -> pa.Array:
    """A Parquet column as strings; integral floats lose their ".0" (HS codes stored as float)."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return as_text(array.dictionary_decode())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array.cast(pa.string())
    if pa.types.is_floating(kind):
        finite = pc.is_finite(array)
        integral = pc.and_(
            pc.and_(finite, pc.equal(pc.round(array), array)), pc.less(pc.abs(array), 1e18)
        )
        integral = pc.fill_null(integral, False)
        as_int = pc.if_else(integral, array, None).cast(pa.int64()).cast(pa.string())
        return pc.if_else(integral, as_int, array.cast(pa.string()))
    if (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    ):
        try:
            return array.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.array(
                [None if v is None else _bytes_text(v) for v in array.to_pylist()], pa.string()
            )
    if pa.types.is_nested(kind):
        return _nested_text(array)
    try:
        return array.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array(
            [
                None if v is None else json.dumps(v, ensure_ascii=False, default=_json_default)
                for v in array.to_pylist()
            ],
            pa.string(),
        )


class ParquetSource:
    """An opened Parquet file: its columns are the header; row groups are read on demand."""

    format = "parquet"
    from_excel = False
    encoding = None
    header_row = None

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise TradeReadError(f"cannot read as Parquet: {exc}", file=path) from exc
        self.headers = unique_headers(self._file.schema_arrow.names)
        if not self.headers:
            raise TradeReadError("no columns: the Parquet schema is empty", file=path)
        self.notes = ["Parquet: source_row is the 1-based row index"]

    def close(self) -> None:
        self._file.close()

    def batches(self, batch_rows: int) -> Iterator[RawBatch]:
        number = 1
        try:
            for batch in self._file.iter_batches(batch_size=batch_rows, use_threads=False):
                n = batch.num_rows
                yield RawBatch(
                    columns=[empty_to_null(as_text(column)) for column in batch.columns],
                    source_rows=pa.array(np.arange(number, number + n), pa.int64()),
                )
                number += n
        except (pa.ArrowException, OSError) as exc:
            raise TradeReadError(
                f"cannot read as Parquet (after row {number - 1}): {exc}", file=self.path
            ) from exc
