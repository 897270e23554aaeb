"""XLSX reader: the archive is checked against Excel's limits before any sheet is parsed.

An .xlsx is a zip of XML. A few MB can unpack to gigabytes (a "zip bomb"), and two cells at A1
and XFD1048576 make any reader that holds a sheet as a grid allocate 17 billion cells, so the
archive's member sizes, compression ratios, XML doctype declarations and the sheet's extent are
checked first, each refusal naming the file. Cells are then read by python-calamine (Rust) and
turned into text row by row, in batches: numbers without float artefacts, dates as ISO.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import python_calamine

from screening.errors import TradeReadError
from screening.io.layouts import TradeMappings, detect_header_row
from screening.io.readers.base import RawBatch, first_non_empty, unique_headers

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
MAX_UNPACKED_BYTES = 1 << 29
"""512 MiB: the most XML a workbook may unpack to (a million rows of 20 short columns)."""
MAX_COMPRESSION_RATIO = 200
"""Sheet XML compresses 5-30x; a large member packed tighter than this is a bomb."""
RATIO_CHECKED_FROM = 16 << 20
"""Members below 16 MiB unpacked are not ratio-checked (a blank template packs very tight)."""
MAX_CELLS = 40_000_000
"""Rows x columns of a sheet's extent: the grid the Rust reader allocates (about 1.3 GB)."""

_CHUNK = 1 << 20
_PREFIXED_ROW_TAG = re.compile(rb"<[A-Za-z]\w*:row[\s>/]")
_ROW_NUMBER = re.compile(rb" r=\"(\d+)\"")
"""Only rows have an all-digit reference (cells have a column letter: r="B7")."""
_WIDE_CELL = re.compile(rb"\sr=\"([A-Z]{2,3})\d+\"")
_DIMENSION = re.compile(rb"<(?:[A-Za-z]\w*:)?dimension\s+ref=\"[A-Z]*\d*:?([A-Z]+)(\d+)\"")
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


@dataclass(frozen=True)
class SheetExtent:
    rows: int
    columns: int


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetExtent:
    """Rows and columns a sheet's XML really uses, read by streaming (sizes verified by CRC)."""
    rows = tags = 0
    columns = 1
    carry = b""
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            buffer = carry + chunk
            cut = buffer.rfind(b">") + 1  # scan whole tags only; the rest waits for more data
            buffer, carry = buffer[:cut], buffer[cut:][-4096:]
            numbers = _ROW_NUMBER.findall(buffer)
            if numbers:
                rows = max(rows, *map(int, numbers))
            tags += buffer.count(b"<row ") + buffer.count(b"<row>") + buffer.count(b"<row/>")
            if b":row" in buffer:
                tags += len(_PREFIXED_ROW_TAG.findall(buffer))
            wide = _WIDE_CELL.findall(buffer)
            if wide:
                columns = max(columns, *map(_column_number, set(wide)))
            if max(rows, tags) > EXCEL_MAX_ROWS or columns > EXCEL_MAX_COLUMNS:
                break
    return SheetExtent(rows=max(rows, tags), columns=columns)


def check_xlsx_archive(path: Path) -> None:
    """Refuse a workbook that is not a zip, unpacks too large, declares a DTD, or whose sheets
    pass Excel's 1,048,576 rows / 16,384 columns or a MAX_CELLS grid. Cheap: sizes come from
    the zip directory; only sheet XML is streamed, and only to count rows."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise TradeReadError(f"cannot open as an Excel workbook: {exc}", file=path) from exc
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNPACKED_BYTES:
            raise TradeReadError(
                f"refused: the workbook unpacks to {total / (1 << 20):,.0f} MiB, over the "
                f"{MAX_UNPACKED_BYTES >> 20} MiB limit for an .xlsx (split it, or save it as CSV)",
                file=path,
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size >= RATIO_CHECKED_FROM and ratio > MAX_COMPRESSION_RATIO:
                raise TradeReadError(
                    f"refused: {member.filename} is compressed {ratio:,.0f}:1 "
                    f"(over {MAX_COMPRESSION_RATIO}:1), a zip bomb",
                    file=path,
                )
        try:
            for member in members:
                if not member.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(member) as handle:
                    start = handle.read(4096)
                if _DOCTYPE.search(start):
                    raise TradeReadError(
                        f"refused: {member.filename} declares a DTD or entities (not something "
                        "Excel writes; XML entity attacks use it)",
                        file=path,
                    )
                if member.filename.startswith("xl/worksheets/") and (
                    dimension := _DIMENSION.search(start)
                ):
                    _check_extent(
                        path,
                        SheetExtent(int(dimension.group(2)), _column_number(dimension.group(1))),
                        member.filename,
                        declared=True,
                    )
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(
                    ".xml"
                ):
                    _check_extent(path, _scan_sheet(archive, member), member.filename)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
            raise TradeReadError(f"corrupt Excel workbook: {exc}", file=path) from exc


def _check_extent(path: Path, extent: SheetExtent, member: str, *, declared: bool = False) -> None:
    what = "declares" if declared else "has"
    if extent.rows > EXCEL_MAX_ROWS or extent.columns > EXCEL_MAX_COLUMNS:
        raise TradeReadError(
            f"refused: {member} {what} {extent.rows:,} rows x {extent.columns:,} columns, past "
            f"Excel's limit of {EXCEL_MAX_ROWS:,} rows x {EXCEL_MAX_COLUMNS:,} columns "
            "(save large extracts as CSV)",
            file=path,
        )
    if not declared and extent.rows * extent.columns > MAX_CELLS:
        raise TradeReadError(
            f"refused: {member} spans {extent.rows:,} rows x {extent.columns:,} columns, over "
            f"the {MAX_CELLS:,}-cell limit for an .xlsx (save it as CSV)",
            file=path,
        )


def excel_cell_text(value: object) -> str | None:
    """A cell as text without float artefacts (854231.0 -> "854231"); Excel dates as ISO."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


class XlsxSource:
    """An opened workbook: the sheet with a recognisable header chosen, rows still to read."""

    format = "xlsx"
    from_excel = True
    encoding = None

    def __init__(
        self,
        path: Path,
        mappings: TradeMappings,
        *,
        header_row: int | None,
        sheet: str | int | None,
        extra: Sequence[str],
    ) -> None:
        self.path = path
        check_xlsx_archive(path)
        try:
            self._workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises its own error types and plain ValueError
            raise TradeReadError(f"cannot open as an Excel workbook: {exc}", file=path) from exc
        names = list(self._workbook.sheet_names)
        if sheet is None:
            wanted = list(range(len(names)))
        elif isinstance(sheet, int):
            if not -len(names) <= sheet < len(names):
                raise TradeReadError(f"no sheet {sheet!r}; sheets: {names}", file=path)
            wanted = [sheet % len(names)]
        else:
            if sheet not in names:
                raise TradeReadError(f"no sheet {sheet!r}; sheets: {names}", file=path)
            wanted = [names.index(sheet)]
        self.notes: list[str] = []
        self._choose(wanted, mappings, header_row, extra)

    def _rows(self, index: int) -> Iterator[tuple[str | None, ...]]:
        try:
            worksheet = self._workbook.get_sheet_by_index(index)
        except Exception as exc:
            raise TradeReadError(
                f"cannot read sheet {self._workbook.sheet_names[index]!r}: {exc}", file=self.path
            ) from exc
        left = (None,) * (worksheet.start[1] if worksheet.start else 0)
        text = excel_cell_text
        for row in worksheet.iter_rows():
            # most cells are text: skip the function call for them
            yield left + tuple([v if v.__class__ is str and v else text(v) for v in row])

    def _choose(
        self,
        wanted: list[int],
        mappings: TradeMappings,
        header_row: int | None,
        extra: Sequence[str],
    ) -> None:
        """The first sheet with a recognisable header (or the given row of the first sheet)."""
        scan = max(mappings.scan_rows, header_row or 0)
        chosen: tuple[int, list[Any], Iterator[Any], int] | None = None
        fallback = None
        for sheet_index in wanted:
            rows = self._rows(sheet_index)
            head = list(itertools.islice(rows, scan))
            if header_row is not None:
                if header_row <= len(head):
                    chosen = (sheet_index, head, rows, header_row - 1)
                break  # an explicit header row refers to the first (or the given) sheet
            index = detect_header_row(head, mappings, extra_known=extra)
            if index is not None:
                chosen = (sheet_index, head, rows, index)
                break
            first = first_non_empty(head)
            if fallback is None and first is not None:
                fallback = (sheet_index, head, rows, first)
        if chosen is None and fallback is not None:
            chosen = fallback
            self.notes.append(
                f"no known header in the first {scan} rows; using row {fallback[3] + 1}"
            )
        if chosen is None:
            if header_row is not None:
                raise TradeReadError(
                    f"header row {header_row} is past the end of the sheet", file=self.path
                )
            raise TradeReadError(
                f"no header: every sheet is empty in its first {scan} rows", file=self.path
            )
        sheet_index, head, rows, index = chosen
        if len(self._workbook.sheet_names) > 1:
            self.notes.append(f"sheet {self._workbook.sheet_names[sheet_index]!r}")
        self.header_row: int | None = index + 1
        self._header_cells = list(head[index])
        self._body = itertools.chain(head[index + 1 :], rows)
        self._first_number = index + 2
        # calamine pads every row to the sheet's width: columns past the header's last named one
        # that hold data get column_<n> names.
        width = max(len(r) for r in head)
        self.headers = unique_headers(
            self._header_cells + [None] * (width - len(self._header_cells))
        )

    def close(self) -> None:
        self._workbook.close()

    def batches(self, batch_rows: int) -> Iterator[RawBatch]:
        """Rows as read, all-empty ones included (the caller's BlankRowCounter drops them)."""
        width = len(self.headers)
        number = self._first_number
        rows: list[tuple[str | None, ...]] = []
        numbers: list[int] = []
        rejects: list[dict[str, Any]] = []
        padding = (None,) * width
        for row in self._body:
            current, number = number, number + 1
            if len(row) != width:
                extra = [c for c in row[width:] if c is not None and c.strip()]
                if extra:
                    rejects.append(
                        {
                            "file": self.path.name,
                            "row": current,
                            "column": None,
                            "reason": f"cells right of the header's last column ({width} "
                            f"columns): {len(extra)} non-empty",
                            "raw": ",".join(c or "" for c in row),
                        }
                    )
                    continue
                row = (row + padding)[:width]
            rows.append(row)
            numbers.append(current)
            if len(rows) >= batch_rows:
                yield self._batch(rows, numbers, rejects, 0)
                rows, numbers, rejects = [], [], []
        if rows or rejects:
            yield self._batch(rows, numbers, rejects, 0)

    def _batch(
        self,
        rows: list[tuple[str | None, ...]],
        numbers: list[int],
        rejects: list[dict[str, Any]],
        blank: int,
    ) -> RawBatch:
        columns = (
            [pa.array(column, pa.string()) for column in zip(*rows, strict=True)]
            if rows
            else [pa.array([], pa.string()) for _ in self.headers]
        )
        return RawBatch(
            columns=columns,
            source_rows=pa.array(numbers, pa.int64()),
            rejects=rejects,
            blank_rows=blank,
        )
