"""Read a list's CSV (or tab-separated) file as all-string columns, with errors naming the row.

Six list formats come as delimited text. Their values are read as text, never typed by
pyarrow's guesses, so an identifier such as ``0012`` keeps its zeros. A row with the wrong
number of fields becomes a ListParseError that names the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from screening.errors import ListParseError

_SEPARATOR_WORDS = {"\t": "tab-separated ", ";": "';'-separated "}


class RepeatedHeaderWarning(UserWarning):
    """Rows that repeat the header (files glued together, or exported twice) were skipped."""


def read_header(path: Path, *, delimiter: str = ",") -> list[str]:
    """The first row's column names, stripped (a UTF-8 BOM is dropped; bad bytes replaced)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return [name.strip() for name in next(csv.reader(fh, delimiter=delimiter), [])]


def require_header(
    path: Path, required: Sequence[str], *, expected: str, delimiter: str = ","
) -> list[str]:
    """The header (read_header); when a required column is missing, a ListParseError on row 1
    saying the file is not ``expected`` ("a Denied Persons List file")."""
    header = read_header(path, delimiter=delimiter)
    missing = [c for c in required if c not in header]
    if missing:
        raise ListParseError(
            f"not {expected}: missing column(s) {', '.join(missing)}; header seen: {header[:12]}",
            file=path,
            row=1,
            column=missing[0],
        )
    return header


def read_string_csv(
    path: Path,
    columns: Sequence[str],
    *,
    data: bytes | None = None,
    column_names_given: bool = False,
    skip_rows: int = 0,
    delimiter: str = ",",
    newlines_in_values: bool = True,
    cp1252_fallback: bool = False,
    null_values: Sequence[str] = ("",),
    strip: bool = False,
    columns_described: str = "as in the header",
    kind: str = "CSV file",
) -> pd.DataFrame:
    """The rows of ``path`` (or of ``data``, its bytes as prepared by the caller) as strings.

    ``columns`` names the columns: the file's own header, which is then read from the file
    after ``skip_rows`` lines, or with ``column_names_given`` the names of a file read from
    its first data row. ``cp1252_fallback`` reads bytes that are not UTF-8 as Windows-1252
    (older US government files). Empty cells are null; with ``strip`` also blank ones, and
    every cell is stripped.
    """
    bad_rows: list[tuple[int, int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "error"

    encoding = "utf8"
    if cp1252_fallback:
        data = path.read_bytes() if data is None else data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
    try:
        table = pacsv.read_csv(
            path if data is None else io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False,
                skip_rows=skip_rows,
                column_names=list(columns) if column_names_given else None,
                encoding=encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=newlines_in_values,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                null_values=list(null_values),
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if bad_rows:
            row, expected, actual, text = bad_rows[0]
            row_number = row + skip_rows if row and row > 0 else None
            column = columns[actual] if actual < expected else f"(extra column {actual})"
            separated = _SEPARATOR_WORDS.get(delimiter, "")
            if actual < expected and _ends_with(path, data, text):
                raise ListParseError(
                    f"truncated at row {row_number}: the last record has {actual} of the expected "
                    f"{expected} {separated}columns and no line end (the file stops inside "
                    "it; cut short?)",
                    file=path,
                    row=row_number,
                    column=column,
                ) from exc
            raise ListParseError(
                f"expected {expected} {separated}columns {columns_described}, got {actual}",
                file=path,
                row=row_number,
                column=column,
            ) from exc
        raise ListParseError(f"not a readable {kind}: {exc}", file=path) from exc
    frame = table.to_pandas()
    if strip:
        frame = frame.apply(lambda column: column.str.strip()).replace("", None)
    if not column_names_given:
        frame = _drop_repeated_headers(frame, path, first_data_row=skip_rows + 2)
    return frame


def _drop_repeated_headers(frame: pd.DataFrame, path: Path, *, first_data_row: int) -> pd.DataFrame:
    """Skip rows whose every cell is its own column's name, with a warning naming them."""
    if frame.empty or len(frame.columns) < 2:
        return frame
    names = pd.Series(frame.columns, index=frame.columns, dtype="str").str.strip()
    cells = frame.apply(lambda column: column.str.strip())
    same = cells.eq(names, axis=1)
    repeated = (same | cells.isna()).all(axis=1) & (same.sum(axis=1) >= 2)
    if not repeated.any():
        return frame
    rows = [int(i) + first_data_row for i in frame.index[repeated.to_numpy()]]
    shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
    warnings.warn(
        RepeatedHeaderWarning(f"{path}: row(s) {shown} repeat the header; skipped"),
        stacklevel=3,
    )
    return frame[~repeated.to_numpy()].reset_index(drop=True)


def _ends_with(path: Path, data: bytes | None, text: str) -> bool:
    """Whether the file stops inside its last record, ``text``: a short last row with no line
    end after it (a complete short row ends with one and is a plain column-count error)."""
    tail_text = text.encode("utf-8", errors="replace").rstrip(b"\r\n")
    if not tail_text:
        return False
    if data is None:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            handle.seek(max(0, size - len(tail_text) - 64))
            tail = handle.read()
    else:
        tail = data[-(len(tail_text) + 64) :]
    tail = tail.rstrip(b"\x1a ")
    return not tail.endswith((b"\n", b"\r")) and tail.endswith(tail_text.rstrip(b"\x1a "))


def add_missing_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with an all-null string column for each of ``columns`` the file lacks."""
    for column in columns:
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype="str")
    return frame
