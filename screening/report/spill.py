"""The flagged records of a streamed run, kept on disk until the review files are written.

A run flags a share of its records (14 % of the synthetic sample), so at 10M rows they no
longer fit beside everything else. Each scored part appends its flagged records to one
Parquet file; the review files are then built from it reading only what each step needs:
the columns that order and group the records first, then every other column once, for the
first record of each case only, kept on disk column by column so that the review file can
be laid out a chunk of cases at a time (:mod:`screening.report.case_chunks`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from screening.report.review_layout import CASE_COLUMNS
from screening.report.summary import SUMMARY_COLUMNS

ORDER_COLUMNS = ("risk_level", "risk_points", "source_row")
"""What orders flagged records for review (as :func:`screening.pipeline.flagged_records`)."""
TOP_COLUMNS = ("risk_level", "risk_points", "record_id", "exporter", "importer", "risk_reasons")


class FlaggedSpill:
    """Flagged records appended part by part to a Parquet file (in input order)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, flagged: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, flagged.schema)
        if flagged.num_rows:
            self._writer.write_table(flagged.cast(self._writer.schema))
            self.rows += flagged.num_rows

    def close(self, schema: pa.Schema) -> None:
        """Close the file; with no part written at all, an empty file of ``schema``."""
        if self._writer is None:
            pq.write_table(schema.empty_table(), self.path)
        else:
            self._writer.close()
            self._writer = None


class FlaggedFile:
    """The spilled flagged records read for the review files: the ordering and grouping
    columns in review order, and any record's full columns on demand."""

    def __init__(self, path: Path) -> None:
        from screening.risk.score import RISK_LEVELS

        self.path = path
        self._file = pq.ParquetFile(path)
        names = self._file.schema_arrow.names
        wanted = dict.fromkeys([*ORDER_COLUMNS, *CASE_COLUMNS, *SUMMARY_COLUMNS])
        light = self._file.read(columns=list(ORDER_COLUMNS))
        rank = pc.index_in(light["risk_level"], value_set=pa.array(list(RISK_LEVELS)))
        keyed = pa.table(
            {
                "rank": rank,
                "points": light["risk_points"],
                "row": light["source_row"],
                "position": pa.array(np.arange(light.num_rows, dtype=np.int64)),
            }
        )
        ordered = keyed.sort_by(
            [("rank", "ascending"), ("points", "descending"), ("row", "ascending")]
        )
        self.order = ordered["position"].to_numpy()
        """Review position -> position in the file."""
        order = pa.array(self.order)
        present = [c for c in wanted if c in names]
        self.records = pa.table(
            {name: self._file.read(columns=[name]).column(0).take(order) for name in present},
            schema=pa.schema([self._file.schema_arrow.field(name) for name in present]),
        )
        """The ordering, grouping and summary columns, in review order (read and put in
        that order one column at a time)."""

    @property
    def num_rows(self) -> int:
        return self.records.num_rows

    def take(self, positions: np.ndarray) -> pa.Table:
        """The records at these review positions with every column, one column read at a time."""
        indices = pa.array(self.order[positions], pa.int64())
        columns = [
            self._file.read(columns=[name]).column(0).take(indices)
            for name in self._file.schema_arrow.names
        ]
        return pa.Table.from_arrays(columns, schema=self._file.schema_arrow)

    def chunks(self, positions: np.ndarray, size: int) -> Iterator[pa.Table]:
        """The records at these review positions with every column, ``size`` at a time.

        Each column is read once, its values at ``positions`` written to a temporary Arrow
        stream chunk by chunk; the chunks are then read back from every stream together, so
        only one column (and one chunk of it), or one chunk of every column, is in memory at
        a time."""
        schema = self._file.schema_arrow
        if len(positions) == 0:
            yield schema.empty_table()
            return
        indices = pa.array(self.order[positions], pa.int64())
        with tempfile.TemporaryDirectory(dir=self.path.parent, prefix=".columns-") as work:
            paths = [Path(work) / f"{index}.arrows" for index in range(len(schema))]
            for field, path in zip(schema, paths, strict=True):
                column = self._file.read(columns=[field.name]).column(0)
                one = pa.schema([field])
                with pa.ipc.new_stream(str(path), one) as writer:
                    for start in range(0, len(indices), size):
                        part = column.take(indices.slice(start, size)).combine_chunks()
                        writer.write_batch(pa.record_batch([part], schema=one))
                del column
            sources = [pa.OSFile(str(path)) for path in paths]
            try:
                readers = [pa.ipc.open_stream(source) for source in sources]
                for batches in zip(*readers, strict=True):
                    yield pa.Table.from_arrays([b.column(0) for b in batches], schema=schema)
            finally:
                for source in sources:
                    source.close()

    def top(self, count: int) -> list[dict[str, Any]]:
        """The first ``count`` records in review order (what the CLI prints)."""
        first = pa.array(self.order[:count], pa.int64())
        names = self._file.schema_arrow.names
        return (
            self._file.read(columns=[c for c in TOP_COLUMNS if c in names]).take(first).to_pylist()
        )


def spilled_review_files(
    out_dir: Path,
    flagged_path: Path,
    manifest: Mapping[str, Any],
    only: tuple[str, ...] | None = None,
) -> tuple[dict[str, Path], FlaggedFile]:
    """The review files (``only`` those named, see ``REVIEW_FILES``) of a run whose flagged
    records are in ``flagged_path``."""
    from screening.report.files import REVIEW_FILES, write_review_files

    flagged = FlaggedFile(flagged_path)
    written = write_review_files(
        out_dir,
        flagged=flagged.records,
        manifest=manifest,
        row_chunks=flagged.chunks,
        only=REVIEW_FILES if only is None else only,
    )
    return written, flagged
