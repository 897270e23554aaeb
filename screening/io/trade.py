"""Load trade/customs files (CSV, XLSX, Parquet) onto the canonical trade fields.

Every data row either lands in ``table`` (canonical fields, then every other input column as
``src_<header>``) or in ``rejects`` with the row number a spreadsheet or text editor shows, so an
analyst can always find where a record came from and nothing is silently dropped. Which column
feeds which field is decided by :mod:`screening.io.layouts` from ``data/trade_mappings.yml``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from screening.errors import TradeLayoutError, TradeReadError
from screening.io.layouts import (
    CANONICAL_DATA_FIELDS,
    SCREENING_FIELDS,
    ResolvedLayout,
    TradeMappings,
    detect_header_row,
    infer_file_context,
    load_trade_mappings,
    normalise_flow_argument,
    resolve_mapping,
    resolve_reporter_country,
    validate_explicit_mapping,
)
from screening.schema import EXTRA_COLUMN_PREFIX, REJECT_SCHEMA, TRADE_SCHEMA

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})

_VERBATIM_FIELDS = (
    "exporter",
    "importer",
    "origin_country",
    "destination_country",
    "hs_code",
    "description",
)
"""Fields copied from their column as written (trimmed): that column is not repeated as src_."""
_DELIMITERS = (",", ";", "\t", "|")
_UTF8_BOM = b"\xef\xbb\xbf"


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


@dataclass
class _RawTable:
    """A file read as strings: one column per header, with the row number of each row."""

    headers: list[str]
    columns: list[pa.Array]
    source_rows: pa.Array
    header_row: int | None
    rejects: list[dict[str, Any]] = field(default_factory=list)
    blank_rows: int = 0
    notes: list[str] = field(default_factory=list)
    from_excel: bool = False

    @property
    def num_rows(self) -> int:
        return len(self.source_rows)


# --------------------------------------------------------------------------- public API


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
    path = Path(path)
    mappings = load_trade_mappings()
    explicit = validate_explicit_mapping(mapping or {})
    if header_row is not None and header_row < 1:
        raise ValueError(f"header_row is 1-based, got {header_row}")
    if not path.is_file():
        raise TradeReadError("file not found", file=path)

    extra_known = [c for c in explicit.values() if c]
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        raw = _read_xlsx(path, mappings, header_row=header_row, sheet=sheet, extra=extra_known)
    elif suffix in PARQUET_SUFFIXES:
        raw = _read_parquet(path)
    elif suffix in CSV_SUFFIXES:
        raw = _read_csv(path, mappings, header_row=header_row, extra=extra_known)
    else:
        raise TradeReadError(
            f"unsupported file type {suffix or '(none)'}: use CSV, XLSX or Parquet "
            "(save .xls files as .xlsx)",
            file=path,
        )

    context_notes: list[str] = []
    name_reporter, name_flow = infer_file_context(path.name, mappings)
    file_reporter, file_flow = name_reporter, name_flow
    if reporter_country is not None:
        file_reporter = resolve_reporter_country(reporter_country, mappings) or reporter_country
        context_notes.append(f"reporter country {file_reporter} given by the caller")
    elif name_reporter:
        context_notes.append(f"reporter country {name_reporter} inferred from the file name")
    if flow is not None:
        file_flow = normalise_flow_argument(flow, mappings)
        context_notes.append(f"flow '{file_flow}' given by the caller")
    elif name_flow:
        context_notes.append(f"flow '{name_flow}' inferred from the file name")

    layout = resolve_mapping(
        raw.headers,
        mappings,
        file=path,
        flow=file_flow,
        explicit=explicit,
        header_row=raw.header_row,
    )
    return _canonicalise(
        raw,
        layout,
        mappings,
        file_name=path.name,
        reporter=file_reporter,
        flow=file_flow,
        flow_is_explicit=flow is not None,
        notes=raw.notes + context_notes,
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
    )


# --------------------------------------------------------------------------- readers


def _unique_headers(cells: Sequence[str | None]) -> list[str]:
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


def _first_non_empty(rows: Sequence[Sequence[str | None]]) -> int | None:
    return next(
        (i for i, row in enumerate(rows) if any(c is not None and c.strip() for c in row)), None
    )


def _excel_cell_text(value: object) -> str | None:
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
    return str(value)


def _is_blank(row: Sequence[str | None]) -> bool:
    return all(c is None or not c.strip() for c in row)


def _read_xlsx(
    path: Path,
    mappings: TradeMappings,
    *,
    header_row: int | None,
    sheet: str | int | None,
    extra: Sequence[str],
) -> _RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TradeReadError(f"cannot open as an Excel workbook: {exc}", file=path) from exc
    try:
        if sheet is None:
            sheets = list(workbook.worksheets)
        else:
            try:
                sheets = [workbook.worksheets[sheet] if isinstance(sheet, int) else workbook[sheet]]
            except (IndexError, KeyError) as exc:
                raise TradeReadError(
                    f"no sheet {sheet!r}; sheets: {workbook.sheetnames}", file=path
                ) from exc
        return _read_worksheets(path, sheets, mappings, header_row=header_row, extra=extra)
    finally:
        workbook.close()


def _read_worksheets(
    path: Path,
    sheets: Sequence[Any],
    mappings: TradeMappings,
    *,
    header_row: int | None,
    extra: Sequence[str],
) -> _RawTable:
    """Screen the first sheet with a recognisable header (or the given row of the first sheet)."""
    scan = max(mappings.scan_rows, header_row or 0)
    chosen = fallback = None
    for worksheet in sheets:
        worksheet.reset_dimensions()  # some writers store a wrong <dimension>: read every cell
        rows = worksheet.iter_rows(values_only=True)
        head = [tuple(_excel_cell_text(v) for v in r) for r in itertools.islice(rows, scan)]
        if header_row is not None:
            if header_row <= len(head):
                chosen = (worksheet, head, rows, header_row - 1)
            break  # an explicit header row refers to the first (or the given) sheet
        index = detect_header_row(head, mappings, extra_known=extra)
        if index is not None:
            chosen = (worksheet, head, rows, index)
            break
        first = _first_non_empty(head)
        if fallback is None and first is not None:
            fallback = (worksheet, head, rows, first)
    notes = []
    if chosen is None and fallback is not None:
        chosen = fallback
        notes.append(f"no known header in the first {scan} rows; using row {fallback[3] + 1}")
    if chosen is None:
        if header_row is not None:
            raise TradeReadError(f"header row {header_row} is past the end of the sheet", file=path)
        raise TradeLayoutError(file=path, missing=list(CANONICAL_DATA_FIELDS), seen=[])
    worksheet, head, rows, index = chosen
    if len(sheets) > 1:
        notes.append(f"sheet {worksheet.title!r}")

    data: list[tuple[str | None, ...]] = []
    numbers: list[int] = []
    blank = pending_blank = 0
    body = itertools.chain(head[index + 1 :], (tuple(map(_excel_cell_text, r)) for r in rows))
    for offset, row in enumerate(body):
        if _is_blank(row):
            pending_blank += 1
            continue
        blank += pending_blank
        pending_blank = 0
        data.append(row)
        numbers.append(index + 2 + offset)

    width = max([len(head[index]), *(len(r) for r in data)])
    headers = _unique_headers(list(head[index]) + [None] * (width - len(head[index])))
    padded = [r + (None,) * (width - len(r)) for r in data]
    columns = (
        [pa.array(col, pa.string()) for col in zip(*padded, strict=True)]
        if padded
        else [pa.array([], pa.string()) for _ in headers]
    )
    return _RawTable(
        headers=headers,
        columns=columns,
        source_rows=pa.array(numbers, pa.int64()),
        header_row=index + 1,
        blank_rows=blank,
        notes=notes,
        from_excel=True,
    )


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise TradeReadError(f"cannot decode as UTF-16: {exc}", file=path) from exc
    bom = data.startswith(_UTF8_BOM)
    body = data[len(_UTF8_BOM) :] if bom else data
    try:
        text, encoding = body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text, encoding = body.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise TradeReadError(
                f"cannot decode as UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
                f"nor as cp1252 ({exc.reason} at byte {exc.start})",
                file=path,
            ) from exc
    if "\x00" in text:
        raise TradeReadError("binary data (NUL bytes): not a text CSV file", file=path)
    return text, encoding


def _csv_head(text: str, delimiter: str, rows: int) -> list[list[str]]:
    """The first ``rows`` records, parsed by the csv module (quoted newlines included)."""
    sample = text[:4_000_000]
    try:
        head = list(itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), rows))
    except csv.Error:
        return []
    if len(sample) < len(text) and len(head) < rows and head:
        head.pop()  # the sample may have cut the last record
    return head


def _choose_delimiter(
    text: str, mappings: TradeMappings, header_row: int | None, extra: Sequence[str], scan: int
) -> tuple[str, list[list[str]], int | None]:
    """Delimiter whose header row holds the most known headers (or fields, for a given row)."""
    best: tuple[int, str, list[list[str]], int | None] | None = None
    for delimiter in _DELIMITERS:
        head = _csv_head(text, delimiter, scan)
        if header_row is not None:
            index = header_row - 1 if header_row <= len(head) else None
            score = len(head[index]) if index is not None else 0
        else:
            index = detect_header_row(head, mappings, extra_known=extra)
            score = (
                sum(1 for c in head[index] if mappings.is_known_header(c)) * 1000 + len(head[index])
                if index is not None
                else 0
            )
        if best is None or score > best[0]:
            best = (score, delimiter, head, index)
    assert best is not None
    _, delimiter, head, index = best
    return delimiter, head, index


def _read_csv(
    path: Path, mappings: TradeMappings, *, header_row: int | None, extra: Sequence[str]
) -> _RawTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TradeReadError(f"cannot read: {exc}", file=path) from exc
    text, encoding = _decode(path, data)
    notes = [] if encoding.startswith("utf-8") else [f"decoded as {encoding}"]
    scan = max(mappings.scan_rows, header_row or 0)
    delimiter, head, index = _choose_delimiter(text, mappings, header_row, extra, scan)
    if index is None:
        if header_row is not None:
            raise TradeReadError(f"header row {header_row} is past the end of the file", file=path)
        index = _first_non_empty(head)
        if index is None:
            raise TradeLayoutError(file=path, missing=list(CANONICAL_DATA_FIELDS), seen=[])
        notes.append(f"no known header in the first {scan} rows; using row {index + 1}")
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r}")
    headers = _unique_headers(head[index])

    invalid: list[pa_csv.InvalidRow] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(headers))]
    payload = text.encode("utf-8") if encoding != "utf-8" else data
    try:
        table = pa_csv.read_csv(
            io.BytesIO(payload),
            read_options=pa_csv.ReadOptions(
                # No skip_rows: pyarrow skips physical lines, but a banner cell may hold a quoted
                # newline. Parsing from the top keeps pyarrow's record numbers = csv's records.
                column_names=names,
                use_threads=False,  # single-threaded so each bad row reports its number
                block_size=1 << 24,
                encoding="utf8",
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=keep_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" not in str(exc):
            raise TradeReadError(f"cannot parse as CSV: {exc}", file=path) from exc
        table = pa.table({n: pa.array([], pa.string()) for n in names})

    header_number = index + 1
    rejects = []
    blank = 0
    bad_numbers = []
    for row in invalid:
        if row.number is None:  # pragma: no cover - only with use_threads=True
            raise TradeReadError("CSV row numbers unavailable", file=path)
        bad_numbers.append(row.number)
        if row.number <= header_number:
            continue  # banner above the header
        if not row.text.replace(delimiter, "").replace('"', "").strip():
            blank += 1
            continue
        rejects.append(
            {
                "file": path.name,
                "row": row.number,
                "column": None,
                "reason": f"wrong number of fields: expected {row.expected_columns}, "
                f"found {row.actual_columns}",
                "raw": row.text,
            }
        )
    every_row = np.arange(1, table.num_rows + len(invalid) + 1)
    row_numbers = every_row[~np.isin(every_row, np.asarray(bad_numbers, dtype=np.int64))]
    data_rows = row_numbers > header_number
    table = table.filter(pa.array(data_rows))
    row_numbers = row_numbers[data_rows]

    columns = [_empty_to_null(table.column(i).combine_chunks()) for i in range(len(names))]
    raw = _RawTable(
        headers, columns, pa.array(row_numbers, pa.int64()), header_number, rejects, blank, notes
    )
    return _drop_blank_rows(raw)


def _read_parquet(path: Path) -> _RawTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise TradeReadError(f"cannot read as Parquet: {exc}", file=path) from exc
    columns = [
        _empty_to_null(_as_text(table.column(i).combine_chunks())) for i in range(table.num_columns)
    ]
    raw = _RawTable(
        headers=_unique_headers(table.column_names),
        columns=columns,
        source_rows=pa.array(np.arange(1, table.num_rows + 1), pa.int64()),
        header_row=None,
        notes=["Parquet: source_row is the 1-based row index"],
    )
    return _drop_blank_rows(raw)


def _as_text(array: pa.Array) -> pa.Array:
    """A Parquet column as strings; integral floats lose their ".0" (HS codes stored as float)."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _as_text(array.dictionary_decode())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array.cast(pa.string())
    if pa.types.is_floating(kind):
        integral = pc.and_(pc.equal(pc.round(array), array), pc.less(pc.abs(array), 1e18))
        as_int = pc.if_else(integral, array, None).cast(pa.int64()).cast(pa.string())
        return pc.if_else(integral, as_int, array.cast(pa.string()))
    try:
        return array.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())


def _empty_to_null(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(array, ""), None, array)


def _drop_blank_rows(raw: _RawTable) -> _RawTable:
    """Remove all-empty rows; those after the last record are not counted (formatting tails)."""
    if raw.num_rows == 0 or not raw.columns:
        return raw
    blank = None
    for column in raw.columns:
        empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True)
        blank = empty if blank is None else pc.and_(blank, empty)
    flags = blank.to_numpy(zero_copy_only=False)
    if not flags.any():
        return raw
    keep = ~flags
    last = int(np.flatnonzero(keep)[-1]) if keep.any() else -1
    raw.blank_rows += int(flags[: last + 1].sum())
    mask = pa.array(keep)
    raw.columns = [c.filter(mask) for c in raw.columns]
    raw.source_rows = raw.source_rows.filter(mask)
    return raw


# --------------------------------------------------------------------------- canonical fields

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {
    **{name: i for i, name in enumerate(_MONTH_NAMES, 1)},
    **{name[:3]: i for i, name in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_SLASH_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: .*)?$")
_DOTTED_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?: .*)?$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?[ \-/]?(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")
_COMPACT_YMD = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _iso_day(year: str, month: str, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _iso_month(year: str, month: int) -> str | None:
    if 1 <= month <= 12 and 1900 <= int(year) <= 2200:
        return f"{int(year):04d}-{month:02d}"
    return None


def parse_trade_date(text: str, *, excel_serials: bool = False) -> str | None:
    """ISO ``YYYY-MM-DD`` (or ``YYYY-MM`` for a month) for one date text; None if not a date.

    "2025-04-25T18:30:00.000Z" -> "2025-04-25" (the date as written), "Mar 2025" -> "2025-03",
    "31.03.2025" -> "2025-03-31", "202201" -> "2022-01"; with ``excel_serials`` a bare day
    number from a cell without a date format (45747) -> "2025-03-31". Ambiguous d/m/y with
    slashes is left alone.
    """
    value = text.strip()
    if m := _ISO_DATE.match(value) or _SLASH_YMD.match(value):
        return _iso_day(*m.groups())
    if m := _DOTTED_DMY.match(value):
        return _iso_day(m.group(3), m.group(2), m.group(1))
    if m := _MONTH_YEAR.match(value):
        month = _MONTHS.get(m.group(1).lower())
        return _iso_month(m.group(2), month) if month else None
    if m := _COMPACT_YMD.match(value):
        return _iso_day(*m.groups())
    if m := _YEAR_MONTH.match(value):
        return _iso_month(m.group(1), int(m.group(2)))
    if excel_serials and _EXCEL_SERIAL.match(value):
        days = float(value)
        if 1 <= days < 2_958_466:
            return (_EXCEL_EPOCH + dt.timedelta(days=int(days))).isoformat()
    return None


def _normalise_dates(values: pa.Array, *, excel_serials: bool) -> tuple[pa.Array, int]:
    """Parse each distinct date text once; unparseable texts stay as written."""
    unique = pc.unique(values).drop_null()
    parsed = [parse_trade_date(v, excel_serials=excel_serials) for v in unique.to_pylist()]
    lookup = pa.array(
        [p if p is not None else v for p, v in zip(parsed, unique.to_pylist(), strict=True)],
        pa.string(),
    )
    result = pc.take(lookup, pc.index_in(values, value_set=unique))
    failed = pa.array([p is None for p in parsed], pa.bool_())
    n_failed = pc.sum(pc.take(failed, pc.index_in(values, value_set=unique))).as_py() or 0
    return result, int(n_failed)


_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d+,\d+$"


def _parse_numbers(values: pa.Array) -> tuple[pa.Array, int]:
    """float64 of numeric texts ("1,234.5" and "12,5" included); other text -> null (counted)."""
    text = pc.utf8_trim_whitespace(values)
    text = pc.if_else(
        pc.match_substring_regex(text, _THOUSANDS), pc.replace_substring(text, ",", ""), text
    )
    text = pc.if_else(
        pc.match_substring_regex(text, _DECIMAL_COMMA), pc.replace_substring(text, ",", "."), text
    )
    numeric = pc.match_substring_regex(text, _NUMBER)
    result = pc.if_else(numeric, text, None).cast(pa.float64())
    bad = pc.sum(pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(numeric, False)))).as_py()
    return result, int(bad or 0)


def _clean_text(values: pa.Array, null_markers: frozenset[str]) -> pa.Array:
    """Trimmed text; empty cells and vendor null markers ("NULL", "N/A") become null."""
    text = pc.utf8_trim_whitespace(values)
    marker = pc.is_in(pc.utf8_upper(text), value_set=pa.array(sorted(null_markers), pa.string()))
    return pc.if_else(pc.or_(pc.equal(text, ""), marker), None, text)


def _null_strings(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _fill(target: pa.Array, where: pa.Array, source: pa.Array | pa.Scalar) -> tuple[pa.Array, int]:
    """Fill ``target`` with ``source`` on rows where ``where`` holds and target is null."""
    if isinstance(source, pa.Scalar) and not source.is_valid:
        return target, 0
    mask = pc.and_(pc.fill_null(where, False), pc.is_null(target))
    if isinstance(source, pa.Array):
        mask = pc.and_(mask, pc.is_valid(source))
    count = int(pc.sum(mask).as_py() or 0)
    return (pc.if_else(mask, source, target) if count else target), count


def _raw_row_text(columns: Sequence[pa.Array], index: int) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        ["" if c[index].as_py() is None else c[index].as_py() for c in columns]
    )
    return out.getvalue()


def _split_unscreenable(
    raw: _RawTable, layout: ResolvedLayout, mappings: TradeMappings, file_name: str
) -> tuple[_RawTable, list[dict[str, Any]]]:
    """Rows whose exporter, importer, HS code and description are all empty become rejects."""
    screened = [f for f in SCREENING_FIELDS if f in layout.columns]
    empty = None
    for name in screened:
        is_null = pc.is_null(_clean_text(raw.columns[layout.columns[name]], mappings.null_markers))
        empty = is_null if empty is None else pc.and_(empty, is_null)
    if empty is None or raw.num_rows == 0 or not pc.any(empty).as_py():
        return raw, []
    used = ", ".join(raw.headers[layout.columns[f]] for f in screened)
    reason = f"nothing to screen: {' / '.join(screened)} all empty (columns {used})"
    rejects = [
        {
            "file": file_name,
            "row": raw.source_rows[int(index)].as_py(),
            "column": None,
            "reason": reason,
            "raw": _raw_row_text(raw.columns, int(index)),
        }
        for index in np.flatnonzero(empty.to_numpy(zero_copy_only=False))
    ]
    keep = pc.invert(empty)
    kept = _RawTable(
        headers=raw.headers,
        columns=[c.filter(keep) for c in raw.columns],
        source_rows=raw.source_rows.filter(keep),
        header_row=raw.header_row,
        rejects=raw.rejects,
        blank_rows=raw.blank_rows,
        notes=raw.notes,
        from_excel=raw.from_excel,
    )
    return kept, rejects


def _canonicalise(
    raw: _RawTable,
    layout: ResolvedLayout,
    mappings: TradeMappings,
    *,
    file_name: str,
    reporter: str | None,
    flow: str | None,
    flow_is_explicit: bool,
    notes: list[str],
) -> TradeLoadResult:
    rows_in = raw.num_rows + len(raw.rejects)
    notes = list(notes)
    cols = layout.columns
    unmapped = [f for f in CANONICAL_DATA_FIELDS if f not in cols]
    if unmapped:
        notes.append(f"no input column for: {', '.join(unmapped)}")
    raw, unscreenable = _split_unscreenable(raw, layout, mappings, file_name)
    n = raw.num_rows

    def column(name: str) -> pa.Array | None:
        return raw.columns[cols[name]] if name in cols else None

    def header(name: str) -> str:
        return raw.headers[cols[name]]

    out: dict[str, pa.Array] = {}
    for name in _VERBATIM_FIELDS:
        col = column(name)
        out[name] = _clean_text(col, mappings.null_markers) if col is not None else _null_strings(n)
    out["hs_code"] = pc.replace_substring_regex(out["hs_code"], r"^(\d+)\.0+$", r"\1")

    date_col = column("date")
    if date_col is not None:
        out["date"], bad_dates = _normalise_dates(
            _clean_text(date_col, mappings.null_markers), excel_serials=raw.from_excel
        )
        if bad_dates:
            notes.append(
                f"date: {bad_dates} value(s) in {header('date')!r} are not dates; kept as written"
            )
    else:
        out["date"] = _null_strings(n)
    for name in ("value", "quantity"):
        col = column(name)
        if col is None:
            out[name] = pa.nulls(n, pa.float64())
            continue
        out[name], bad = _parse_numbers(_clean_text(col, mappings.null_markers))
        if bad:
            notes.append(
                f"{name}: {bad} non-numeric value(s) in {header(name)!r} left null "
                f"(kept in {EXTRA_COLUMN_PREFIX}{header(name)})"
            )

    _fill_countries(
        raw,
        layout,
        mappings,
        out,
        reporter=reporter,
        flow=flow,
        flow_is_explicit=flow_is_explicit,
        notes=notes,
    )

    record_id = pc.binary_join_element_wise(
        pa.scalar(file_name), raw.source_rows.cast(pa.string()), ":"
    )
    canonical = {
        "record_id": record_id,
        **out,
        "source_file": pa.repeat(pa.scalar(file_name, pa.string()), n),
        "source_row": raw.source_rows,
    }
    verbatim = {cols[f] for f in _VERBATIM_FIELDS if f in cols}
    src_names = [
        f"{EXTRA_COLUMN_PREFIX}{h}" for i, h in enumerate(raw.headers) if i not in verbatim
    ]
    src_arrays = [c for i, c in enumerate(raw.columns) if i not in verbatim]
    schema = pa.schema(list(TRADE_SCHEMA) + [pa.field(s, pa.string()) for s in src_names])
    arrays = [canonical[f.name] for f in TRADE_SCHEMA] + src_arrays
    table = pa.Table.from_arrays(arrays, schema=schema)

    if raw.blank_rows:
        notes.append(f"{raw.blank_rows} all-empty row(s) skipped")
    rejects = sorted([*raw.rejects, *unscreenable], key=lambda r: r["row"])
    return TradeLoadResult(
        table=table,
        rejects=pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA),
        rows_in=rows_in,
        layout=layout.layout,
        header_row=raw.header_row,
        mapping=layout.named(raw.headers),
        notes=notes,
        blank_rows=raw.blank_rows,
    )


def _fill_countries(
    raw: _RawTable,
    layout: ResolvedLayout,
    mappings: TradeMappings,
    out: dict[str, pa.Array],
    *,
    reporter: str | None,
    flow: str | None,
    flow_is_explicit: bool,
    notes: list[str],
) -> None:
    """Origin/destination from the partner and reporter countries, row by row.

    A partner column (UN Comtrade) is the destination of an export and the origin of an import.
    The reporter (the declaring country) is the origin of an export and the destination of an
    import; it fills only rows whose own column is missing or empty, and each fill is noted.
    """
    n = raw.num_rows
    cols = layout.columns

    def header(name: str) -> str:
        return raw.headers[cols[name]]

    row_flow: pa.Array = pa.repeat(pa.scalar(flow, pa.string()), n)
    if "flow" in cols and not flow_is_explicit:
        values = _clean_text(raw.columns[cols["flow"]], mappings.null_markers)
        unique = pc.unique(values).drop_null()
        lookup = pa.array([mappings.flow_of(v) for v in unique.to_pylist()], pa.string())
        per_row = pc.take(lookup, pc.index_in(values, value_set=unique))
        row_flow = pc.coalesce(per_row, row_flow)
    is_export = pc.equal(row_flow, "export")
    is_import = pc.equal(row_flow, "import")

    if "partner_country" in cols:
        partner = _clean_text(raw.columns[cols["partner_country"]], mappings.null_markers)
        for name, where in (("destination_country", is_export), ("origin_country", is_import)):
            out[name], count = _fill(out[name], where, partner)
            if count:
                flow_word = "export" if name == "destination_country" else "import"
                notes.append(
                    f"filled {name} from partner column {header('partner_country')!r} "
                    f"on {count} {flow_word} row(s)"
                )

    row_reporter: pa.Array | pa.Scalar = pa.scalar(reporter, pa.string())
    described = repr(reporter)
    if "reporter_country" in cols:
        per_row = _clean_text(raw.columns[cols["reporter_country"]], mappings.null_markers)
        row_reporter = pc.coalesce(per_row, pa.scalar(reporter, pa.string()))
        described = f"column {header('reporter_country')!r}"
    elif reporter is None:
        return
    for name, where, flow_word in (
        ("origin_country", is_export, "export"),
        ("destination_country", is_import, "import"),
    ):
        out[name], count = _fill(out[name], where, row_reporter)
        if count:
            why = f"empty {header(name)!r}" if name in cols else f"no {name} column"
            notes.append(
                f"filled {name} with the reporter country ({described}) on {count} "
                f"{flow_word} row(s): {why}"
            )


def iter_trade_files(folder: str | Path) -> Iterator[Path]:
    """Trade files in ``folder`` (CSV, XLSX, Parquet), sorted by name; Excel lock files skipped."""
    suffixes = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith("~$"):
            yield path
