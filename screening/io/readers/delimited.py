"""CSV/TSV reader: encoding and delimiter detection, header search, then pyarrow's stream reader.

The header is found with the csv module on the first few MB (a vendor banner may hold quoted
newlines), the rest is parsed by ``pyarrow.csv.open_csv`` block by block, so a 10 GB file costs
one block of memory. pyarrow is told nothing but strings: a code such as 0304.90 never passes
through a float. Rows with the wrong number of fields are rejected with their row number.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from screening.errors import TradeReadError
from screening.io.encoding import DetectedEncoding, detect_encoding
from screening.io.layouts import TradeMappings, detect_header_row
from screening.io.readers.base import RawBatch, empty_to_null, first_non_empty, unique_headers

DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 4_000_000
"""Bytes read for header and delimiter detection."""
BLOCK_BYTES = 1 << 22
"""pyarrow block size: the unit of parsing; a record (with quoted newlines) must fit in one."""
MAX_BLOCK_BYTES = 1 << 28
"""A record longer than this (256 MB) is refused rather than grown into memory without end."""


@contextlib.contextmanager
def _unlimited_csv_fields() -> Iterator[None]:
    """Lift the csv module's 128 KB field limit while sniffing (a long description is data)."""
    previous = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _head_text(path: Path, encoding: DetectedEncoding) -> tuple[str, bool]:
    """The first HEAD_BYTES as text, and whether that is the whole file."""
    with path.open("rb") as handle:
        handle.seek(encoding.skip_bytes)
        data = handle.read(HEAD_BYTES + 1)
    complete = len(data) <= HEAD_BYTES
    data = data[:HEAD_BYTES]
    codec = "utf-8" if encoding.is_utf8 else encoding.name
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        text = decoder.decode(data, final=complete)
    except UnicodeDecodeError as exc:
        raise TradeReadError(
            f"cannot decode as {encoding.name}: {exc.reason} at byte {exc.start}", file=path
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, complete


def _csv_head(text: str, complete: bool, delimiter: str, rows: int) -> list[list[str]]:
    """The first ``rows`` records, parsed by the csv module (quoted newlines included)."""
    with _unlimited_csv_fields():
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            head = list(itertools.islice(reader, rows))
        except csv.Error:
            return []
    if not complete and len(head) < rows and head:
        head.pop()  # the sample may have cut the last record
    return head


def _choose_delimiter(
    text: str,
    complete: bool,
    mappings: TradeMappings,
    header_row: int | None,
    extra: Sequence[str],
    scan: int,
) -> tuple[str, list[list[str]], int | None]:
    """Delimiter whose header row holds the most known headers (or fields, for a given row)."""
    best: tuple[int, str, list[list[str]], int | None] | None = None
    for delimiter in DELIMITERS:
        head = _csv_head(text, complete, delimiter, scan)
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


class CsvSource:
    """An opened CSV: header, delimiter and encoding known; rows streamed by pyarrow."""

    format = "csv"
    from_excel = False

    def __init__(
        self, path: Path, mappings: TradeMappings, *, header_row: int | None, extra: Sequence[str]
    ) -> None:
        self.path = path
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise TradeReadError(f"cannot read: {exc}", file=path) from exc
        if size == 0:
            raise TradeReadError("empty file: no header and no rows", file=path)
        detected = detect_encoding(path)
        self.detected = detected
        self.encoding: str | None = detected.name
        self.notes: list[str] = [] if detected.is_utf8 else [f"decoded as {detected.name}"]
        text, complete = _head_text(path, detected)
        if complete and not text.strip():
            raise TradeReadError("empty file: no header and no rows", file=path)
        scan = max(mappings.scan_rows, header_row or 0)
        delimiter, head, index = _choose_delimiter(
            text, complete, mappings, header_row, extra, scan
        )
        if index is None:
            if header_row is not None:
                raise TradeReadError(
                    f"header row {header_row} is past the end of the file", file=path
                )
            index = first_non_empty(head)
            if index is None:
                if not head:
                    raise TradeReadError(
                        "cannot find a header: the first rows cannot be split as CSV "
                        f"with any of the delimiters {' '.join(map(repr, DELIMITERS))}",
                        file=path,
                    )
                raise TradeReadError(
                    f"no header: the first {len(head)} row(s) are all empty", file=path
                )
            self.notes.append(f"no known header in the first {scan} rows; using row {index + 1}")
        if delimiter != ",":
            self.notes.append(f"delimiter {delimiter!r}")
        self.delimiter = delimiter
        self.headers = unique_headers(head[index])
        self.header_row: int | None = index + 1

    def close(self) -> None:
        pass

    def _open_reader(
        self, handle: IO[bytes], invalid: list[pa_csv.InvalidRow], block: int
    ) -> pa_csv.CSVStreamingReader:
        def keep_invalid(row: pa_csv.InvalidRow) -> str:
            invalid.append(row)
            return "skip"

        names = [f"c{i}" for i in range(len(self.headers))]
        return pa_csv.open_csv(
            handle,
            read_options=pa_csv.ReadOptions(
                # No skip_rows: pyarrow skips physical lines, but a banner cell may hold a quoted
                # newline. Parsing from the top keeps pyarrow's record numbers = csv's records.
                column_names=names,
                use_threads=False,  # single-threaded so each bad row reports its number
                block_size=block,
                encoding="utf8" if self.detected.is_utf8 else self.detected.name,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.delimiter,
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

    def batches(self, batch_rows: int) -> Iterator[RawBatch]:
        """Data rows in batches of at most ``batch_rows``, rejects with the batch they fall in.

        A record longer than pyarrow's block is retried with a larger block, continuing after
        the last row already returned, up to MAX_BLOCK_BYTES.
        """
        block = BLOCK_BYTES
        self._done_through = 0
        self._seen_invalid: set[int] = set()
        while True:
            try:
                yield from self._batches(batch_rows, block)
                return
            except _BlockTooSmall as exc:
                if block >= MAX_BLOCK_BYTES:
                    raise TradeReadError(
                        f"a record is longer than {MAX_BLOCK_BYTES >> 20} MB "
                        f"(an unclosed quote?): {exc}",
                        file=self.path,
                    ) from None
                block *= 4

    def _batches(self, batch_rows: int, block: int) -> Iterator[RawBatch]:
        invalid: list[pa_csv.InvalidRow] = []
        header_number = self.header_row or 1
        skip_through = max(header_number, self._done_through)
        next_number = 1  # record number of the next valid row pyarrow returns
        handled = 0  # invalid rows already looked at
        bad: set[int] = set()  # invalid record numbers not yet passed
        with self.path.open("rb") as handle:
            handle.seek(self.detected.skip_bytes)
            try:
                reader = self._open_reader(handle, invalid, block)
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                if "Empty CSV file" in str(exc):
                    return
                raise self._arrow_error(exc) from exc
            while True:
                try:
                    record_batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                    raise self._arrow_error(exc) from exc
                rejects, blank = self._rejects(invalid[handled:], skip_through)
                bad.update(r.number for r in invalid[handled:] if r.number is not None)
                handled = len(invalid)
                n = record_batch.num_rows
                pending = np.array(sorted(b for b in bad if b >= next_number), dtype=np.int64)
                span = np.arange(next_number, next_number + n + len(pending), dtype=np.int64)
                numbers = span[~np.isin(span, pending)][:n]
                if n:
                    next_number = int(numbers[-1]) + 1
                bad = {b for b in bad if b >= next_number}
                wanted = numbers > skip_through
                for start in range(0, max(n, 1), max(batch_rows, 1)):
                    part = wanted[start : start + batch_rows]
                    mask = pa.array(part)
                    yield RawBatch(
                        columns=[
                            empty_to_null(
                                record_batch.column(i).slice(start, batch_rows).filter(mask)
                            )
                            for i in range(record_batch.num_columns)
                        ],
                        source_rows=pa.array(numbers[start : start + batch_rows][part], pa.int64()),
                        rejects=rejects if start == 0 else [],
                        blank_rows=blank if start == 0 else 0,
                    )
                self._done_through = max(self._done_through, next_number - 1)
            # invalid rows after the last valid one
            rejects, blank = self._rejects(invalid[handled:], skip_through)
            if rejects or blank:
                yield RawBatch(
                    columns=[pa.array([], pa.string()) for _ in self.headers],
                    source_rows=pa.array([], pa.int64()),
                    rejects=rejects,
                    blank_rows=blank,
                )

    def _rejects(
        self, rows: Sequence[pa_csv.InvalidRow], skip_through: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Rejects for rows that cannot be split, and the count of blank lines among them."""
        rejects: list[dict[str, Any]] = []
        blank = 0
        for row in rows:
            if row.number is None:  # pragma: no cover - only with use_threads=True
                raise TradeReadError("CSV row numbers unavailable", file=self.path)
            if row.number <= skip_through or row.number in self._seen_invalid:
                continue  # banner above the header, or returned before a retry
            self._seen_invalid.add(row.number)
            if not row.text.replace(self.delimiter, "").replace('"', "").strip():
                blank += 1
                continue
            rejects.append(
                {
                    "file": self.path.name,
                    "row": row.number,
                    "column": None,
                    "reason": f"wrong number of fields: expected {row.expected_columns}, "
                    f"found {row.actual_columns}",
                    "raw": row.text,
                }
            )
        return rejects, blank

    def _arrow_error(self, exc: pa.ArrowInvalid | UnicodeDecodeError) -> Exception:
        if isinstance(exc, UnicodeDecodeError):  # a byte the detected code page leaves undefined
            byte = exc.object[exc.start : exc.start + 1].hex()
            return TradeReadError(
                f"cannot decode as {self.encoding}: byte 0x{byte} after row "
                f"{self._done_through} is not a character in it; save the file as UTF-8",
                file=self.path,
            )
        message = str(exc)
        if "straddling" in message or "block size" in message:
            return _BlockTooSmall(message)
        if "UTF8" in message or "decode" in message.lower():
            return TradeReadError(f"cannot decode as {self.encoding}: {message}", file=self.path)
        return TradeReadError(f"cannot parse as CSV: {message}", file=self.path)


class _BlockTooSmall(Exception):
    """A record does not fit pyarrow's block: retry the file with a larger block."""
