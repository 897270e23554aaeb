"""Trade files as a stream of canonical record batches: the reading side of a bounded-memory run.

:func:`open_trade_file` reads a file's header and decides its layout (so a run can check every
input before screening any), then :meth:`TradeFile.batches` yields canonical records and rejects
batch by batch. :func:`iter_trade_batches` chains the files. Rows in = records + rejects holds
per batch, and the per-file :class:`TradeFileInfo` (format, encoding, sha256, layout, mapping,
counts, notes) is complete once the file's last batch has been yielded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from screening.io.canonical import Canonicaliser
from screening.io.layouts import (
    infer_file_context,
    load_trade_mappings,
    normalise_flow_argument,
    resolve_mapping,
    resolve_reporter_country,
    validate_explicit_mapping,
)
from screening.io.readers import DEFAULT_BATCH_ROWS, RawSource, open_source
from screening.io.readers.base import BlankRowCounter
from screening.schema import REJECT_SCHEMA


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class TradeFileInfo:
    """How one file was read; counts and notes are final after its last batch."""

    path: Path
    format: str
    """csv / xlsx / parquet"""
    encoding: str | None
    """Text encoding of a CSV (``utf-8``, ``cp1251``, ...); None for XLSX and Parquet."""
    sha256: str
    layout: str
    header_row: int | None
    """1-based row of the header as a spreadsheet shows it (None for Parquet)."""
    mapping: dict[str, str]
    """Field (canonical or helper: flow, reporter_country, partner_country) -> input column."""
    schema: pa.Schema
    """Schema of every record batch of this file (TRADE_SCHEMA, then ``src_`` columns)."""
    notes: list[str] = field(default_factory=list)
    rows_in: int = 0
    records: int = 0
    rejected: int = 0
    blank_rows: int = 0
    """All-empty rows between the header and the last record: skipped, not records."""
    complete: bool = False

    @property
    def file(self) -> str:
        return self.path.name

    def to_manifest(self) -> dict[str, object]:
        """The entry a run manifest records for this input."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "format": self.format,
            "encoding": self.encoding,
            "layout": self.layout,
            "header_row": self.header_row,
            "mapping": dict(self.mapping),
            "rows_in": self.rows_in,
            "records": self.records,
            "rejected": self.rejected,
            "blank_rows": self.blank_rows,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class TradeBatch:
    """Canonical records and rejects of one batch of one file."""

    info: TradeFileInfo
    records: pa.Table
    rejects: pa.Table
    """REJECT_SCHEMA rows: data rows of this batch that could not become records."""

    @property
    def rows_in(self) -> int:
        return self.records.num_rows + self.rejects.num_rows


class TradeFile:
    """An opened trade file: layout resolved, records still to be read."""

    def __init__(
        self,
        path: str | Path,
        *,
        mapping: Mapping[str, str] | None = None,
        header_row: int | None = None,
        reporter_country: str | None = None,
        flow: str | None = None,
        sheet: str | int | None = None,
    ) -> None:
        path = Path(path)
        mappings = load_trade_mappings()
        explicit = validate_explicit_mapping(mapping or {})
        if header_row is not None and header_row < 1:
            raise ValueError(f"header_row is 1-based, got {header_row}")
        file_flow = normalise_flow_argument(flow, mappings) if flow is not None else None
        source: RawSource = open_source(
            path,
            mappings,
            header_row=header_row,
            sheet=sheet,
            extra=[c for c in explicit.values() if c],
        )
        try:
            context: list[str] = []
            name_reporter, name_flow = infer_file_context(path.name, mappings)
            reporter = name_reporter
            if reporter_country is not None:
                reporter = resolve_reporter_country(reporter_country, mappings) or reporter_country
                context.append(f"reporter country {reporter} given by the caller")
            elif name_reporter:
                context.append(f"reporter country {name_reporter} inferred from the file name")
            if file_flow is not None:
                context.append(f"flow '{file_flow}' given by the caller")
            elif name_flow:
                file_flow = name_flow
                context.append(f"flow '{name_flow}' inferred from the file name")
            layout = resolve_mapping(
                source.headers,
                mappings,
                file=path,
                flow=file_flow,
                explicit=explicit,
                header_row=source.header_row,
            )
            self._canonical = Canonicaliser(
                source.headers,
                layout,
                mappings,
                file_name=path.name,
                reporter=reporter,
                flow=file_flow,
                flow_is_explicit=flow is not None,
                from_excel=source.from_excel,
            )
            self._source = source
            self._opening_notes = source.notes + context
            self.info = TradeFileInfo(
                path=path,
                format=source.format,
                encoding=source.encoding,
                sha256=file_sha256(path),
                layout=layout.layout,
                header_row=source.header_row,
                mapping=layout.named(source.headers),
                schema=self._canonical.schema,
                notes=list(self._opening_notes),
            )
        except BaseException:
            source.close()
            raise

    def batches(self, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[TradeBatch]:
        """Records and rejects batch by batch (at least one batch, possibly empty)."""
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")
        info = self.info
        blanks = BlankRowCounter()
        yielded = False
        try:
            for raw in self._source.batches(batch_rows):
                raw = blanks.drop(raw)
                records, rejects = self._canonical.batch(raw)
                rejects.sort(key=lambda r: r["row"])
                batch = TradeBatch(
                    info=info,
                    records=records,
                    rejects=pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA),
                )
                info.records += batch.records.num_rows
                info.rejected += batch.rejects.num_rows
                info.rows_in += batch.rows_in
                info.blank_rows += raw.blank_rows
                self._update_notes()
                if batch.rows_in or not yielded:
                    yielded = True
                    yield batch
            if not yielded:
                yield TradeBatch(
                    info=info,
                    records=info.schema.empty_table(),
                    rejects=REJECT_SCHEMA.empty_table(),
                )
            info.complete = True
            self._update_notes()
        finally:
            self._source.close()

    def _update_notes(self) -> None:
        notes = self._opening_notes + self._canonical.notes()
        if self.info.blank_rows:
            notes.append(f"{self.info.blank_rows} all-empty row(s) skipped")
        self.info.notes[:] = notes


def open_trade_file(path: str | Path, **options: object) -> TradeFile:
    """Open one CSV/XLSX/Parquet file: header found, layout resolved, nothing else read yet.

    Options as for :func:`iter_trade_batches`. Raises TradeReadError / TradeLayoutError (both
    ScreeningError) naming the file when it cannot be read or mapped.
    """
    return TradeFile(path, **options)  # type: ignore[arg-type]


def iter_trade_batches(
    paths: Iterable[str | Path],
    *,
    mapping: Mapping[str, str] | None = None,
    header_row: int | None = None,
    reporter_country: str | None = None,
    flow: str | None = None,
    sheet: str | int | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[TradeBatch]:
    """Canonical record batches of each file in turn (each file opened when reached).

    ``mapping`` (field -> column) overrides the auto-detected columns field by field; an empty
    column leaves a field unmapped. ``header_row`` is 1-based as a spreadsheet shows it.
    ``reporter_country``/``flow`` describe every file and win over what a file name says.
    Memory is bounded by ``batch_rows`` (and, for XLSX, by the sheet: see readers.excel).
    """
    for path in paths:
        trade_file = TradeFile(
            path,
            mapping=mapping,
            header_row=header_row,
            reporter_country=reporter_country,
            flow=flow,
            sheet=sheet,
        )
        yield from trade_file.batches(batch_rows)
