"""Write every file an analyst opens: spreadsheet-safe CSV, Parquet and JSON, atomically.

Two failure modes are designed out here. A cell from a trade file or a sanctions list that starts
with ``=``, ``+``, ``-`` or ``@`` would run as a formula in Excel (CSV injection, OWASP), so text
cells get a leading apostrophe. And a crash mid-write must never leave a half-written report next
to a good one, so each file is written to a temporary file in the same directory and moved into
place with ``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

LIST_SEPARATOR = "; "


def _formula_look_alikes() -> tuple[str, ...]:
    """Characters a spreadsheet or a user may take for ``= + - @``: every character whose NFKC
    form starts with one (full-width ＝, small ﹦, superscript ⁺) and the non-letter
    confusables Unicode lists for them (minus sign −, heavy plus ➕, hyphens and dashes)."""
    from confusable_homoglyphs import confusables

    found = {
        ch
        for ch in map(chr, range(0x80, 0x10000))
        if unicodedata.normalize("NFKC", ch)[:1] in "=+-@"
    }
    for target in "=+-@":
        for entry in confusables.is_confusable(target, preferred_aliases=[], greedy=True) or ():
            for glyph in entry["homoglyphs"]:
                ch = glyph["c"]
                if len(ch) == 1 and not unicodedata.category(ch).startswith("L"):
                    found.add(ch)
    return tuple(sorted(found))


FORMULA_LOOK_ALIKES = _formula_look_alikes()
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", *FORMULA_LOOK_ALIKES)
"""First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection),
with their Unicode look-alikes (a spreadsheet may normalise ＝ to =; an analyst reads it as =)."""

_FORMULA_START = "^[" + "".join(re.escape(c) for c in FORMULA_PREFIXES) + "]"
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)
_UTF8_BOM = b"\xef\xbb\xbf"


def escape_spreadsheet_formula(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula; plain numbers ("-5") stay."""
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER_RE.match(value):
        return "'" + value
    return value


def _escape_strings(array: pa.Array) -> pa.Array:
    risky = pc.and_(
        pc.match_substring_regex(array, _FORMULA_START),
        pc.invert(pc.match_substring_regex(array, _PLAIN_NUMBER)),
    )
    quote, nothing = pa.scalar("'", array.type), pa.scalar("", array.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, array, nothing), array)


def _escape_array(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _escape_strings(array)
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
        return _escape_strings(array.dictionary_decode())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        flat = _escape_array(array.values)
        return type(array).from_arrays(array.offsets, flat, mask=array.is_null())
    return array  # numbers, dates, booleans: not text, nothing to escape


def escape_formulas_in_table(table: pa.Table | pd.DataFrame) -> pa.Table:
    """Escape formula-like text in every string (and list-of-string) column; numbers untouched."""
    table = _as_arrow(table)
    columns = [_escape_array(column.combine_chunks()) for column in table.columns]
    names = [escape_spreadsheet_formula(name) for name in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


def _as_arrow(table: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(table, pd.DataFrame):
        return pa.Table.from_pandas(table, preserve_index=False)
    return table


def _cell_text(value: Any) -> str:
    if isinstance(value, dict):
        return ":".join(str(v) for v in value.values() if v is not None)
    return str(value)


def _list_to_text(column: pa.ChunkedArray) -> pa.Array:
    """A list column as one "; "-joined text per row, so a spreadsheet shows it in one cell."""
    values = column.combine_chunks()
    if pa.types.is_string(values.type.value_type) or pa.types.is_large_string(
        values.type.value_type
    ):
        return pc.binary_join(values, LIST_SEPARATOR)
    return pa.array(
        [
            None
            if row is None
            else LIST_SEPARATOR.join(_cell_text(v) for v in row if v is not None)
            for row in values.to_pylist()
        ],
        pa.string(),
    )


def _flatten_for_csv(table: pa.Table) -> pa.Table:
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            columns.append(_list_to_text(column))
        elif pa.types.is_struct(kind) or pa.types.is_map(kind):
            columns.append(
                pa.array(
                    [None if v is None else _cell_text(v) for v in column.to_pylist()], pa.string()
                )
            )
        else:
            columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _write_atomically(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Run ``write`` on a temporary file beside ``path``, then move it into place.

    On any error the temporary file is removed and an existing ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide the final permissions, as for a plain open().
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_csv_atomic(table: pa.Table | pd.DataFrame, path: str | Path, *, bom: bool = True) -> Path:
    """UTF-8 CSV (with a BOM so Excel shows Cyrillic), formula-escaped, lists as "a; b" text."""
    safe = escape_formulas_in_table(_flatten_for_csv(_as_arrow(table)))

    def write(handle: IO[bytes]) -> None:
        if bom:
            handle.write(_UTF8_BOM)
        pa_csv.write_csv(safe, handle)

    return _write_atomically(path, write)


def write_csv_chunks_atomic(
    tables: Iterable[pa.Table], path: str | Path, *, bom: bool = True
) -> Path:
    """:func:`write_csv_atomic` of the tables one after the other, under one header: the same
    bytes as for their concatenation, holding one table at a time. Each is escaped as it is
    written; all must have the same columns and types (a table that does not is refused)."""

    def write(handle: IO[bytes]) -> None:
        if bom:
            handle.write(_UTF8_BOM)
        writer: pa_csv.CSVWriter | None = None
        schema: pa.Schema | None = None
        for table in tables:
            safe = escape_formulas_in_table(_flatten_for_csv(_as_arrow(table)))
            if writer is None:
                schema = safe.schema
                writer = pa_csv.CSVWriter(handle, schema)
            elif not safe.schema.equals(schema):
                raise ValueError(f"{path}: a chunk's columns differ from the first chunk's")
            writer.write_table(safe)
        if writer is None:
            raise ValueError(f"{path}: no table to write")
        writer.close()

    return _write_atomically(path, write)


def write_parquet_atomic(table: pa.Table | pd.DataFrame, path: str | Path) -> Path:
    """Parquet with the table's own types (no escaping: Parquet is not opened by spreadsheets)."""
    arrow = _as_arrow(table)
    return _write_atomically(path, lambda handle: pq.write_table(arrow, handle))


def write_json_atomic(obj: Any, path: str | Path) -> Path:
    """Indented UTF-8 JSON (non-ASCII kept readable; dates and paths via ``str``)."""

    def write(handle: IO[bytes]) -> None:
        text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
        handle.write(text.encode("utf-8"))
        handle.write(b"\n")

    return _write_atomically(path, write)
