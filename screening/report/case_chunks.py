"""The review table of a large run, built a chunk of cases at a time.

A run of 10M rows flags over a million records; laid out as one table (every column of
every case) the review file took 6.8 GB, more than the rest of the run. Here the records are
grouped into cases from the light columns only (what :class:`~screening.report.spill.
FlaggedFile` holds), then each chunk of cases is laid out from its own records and its
first records' full columns, and spooled to a temporary Arrow stream. Which columns the
review file keeps (those with a value in any case) is known once every chunk is laid out;
flagged.csv is then written from the spool chunk by chunk, with those columns.

Every figure of a case is computed within the case, so the chunks give the same rows as
:func:`~screening.report.review_layout.review_table` over the whole run, and the same
files byte for byte (``tests/report/test_case_chunks.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa

from screening.report.review_layout import (
    Cases,
    EntityTally,
    RowTaker,
    case_numbers,
    case_rows,
    filled_columns,
    finish_review,
    group_cases,
    lay_out_cases,
)

CHUNK_CASES = 50_000
"""Cases laid out at once: a few tens of MB of columns, and few enough chunks that their
overhead stays small."""

RowChunks = Callable[[np.ndarray, int], Iterator[pa.Table]]
"""Positions of flagged records and a chunk size -> those records with every column, in
chunks of that many (in the given order); no position gives one empty table."""


def chunks_of(take_rows: RowTaker) -> RowChunks:
    """:data:`RowChunks` from a :data:`RowTaker` (records in memory)."""

    def chunks(positions: np.ndarray, size: int) -> Iterator[pa.Table]:
        if len(positions) == 0:
            yield take_rows(positions)
        for start in range(0, len(positions), size):
            yield take_rows(positions[start : start + size])

    return chunks


class ReviewChunks:
    """The review table of ``flagged`` (records in review order, at least the columns cases
    are made of), laid out chunk by chunk.

    After construction: ``num_cases``, ``keep`` (the columns the review file keeps),
    ``head`` (its first ``head_rows`` rows, finished) and ``entities`` (the "by party" view,
    from every chunk); :meth:`chunks` yields the finished review table chunk by chunk when
    ``spool`` is set. Use as a context manager: the spool is removed on exit."""

    def __init__(
        self,
        flagged: pa.Table,
        row_chunks: RowChunks,
        *,
        work_dir: Path,
        chunk_cases: int = CHUNK_CASES,
        spool: bool = True,
        head_rows: int = 0,
    ) -> None:
        self._work = tempfile.TemporaryDirectory(dir=work_dir, prefix=".review-chunks-")
        self._spool = Path(self._work.name) / "cases.arrows" if spool else None
        self.num_cases = 0
        self.keep: set[str] = set()
        head: list[pa.Table] = []
        entities = EntityTally()
        writer: pa.ipc.RecordBatchStreamWriter | None = None
        laid = pa.table({})
        try:
            for laid in self._laid_out(flagged, row_chunks, chunk_cases):
                self.num_cases += laid.num_rows
                self.keep |= filled_columns(laid)
                entities.add(laid)
                shown = sum(part.num_rows for part in head)
                if shown < head_rows:
                    head.append(laid.slice(0, head_rows - shown))
                if self._spool is not None:
                    if writer is None:
                        writer = pa.ipc.new_stream(str(self._spool), laid.schema)
                    writer.write_table(laid)
        except BaseException:
            self._work.cleanup()
            raise
        finally:
            if writer is not None:
                writer.close()
        if not self.num_cases:
            self.keep = set(laid.column_names)
        self.head = finish_review(pa.concat_tables(head) if head else laid.slice(0, 0), self.keep)
        self.entities = entities.table()

    @staticmethod
    def _laid_out(flagged: pa.Table, row_chunks: RowChunks, size: int) -> Iterator[pa.Table]:
        """Each chunk of cases laid out (every column, none dropped yet); one empty table
        when there is no flagged record."""
        if flagged.num_rows == 0:
            empty = next(row_chunks(np.zeros(0, dtype=np.int64), size))
            yield lay_out_cases(group_cases(flagged, lambda _: empty))
            return
        cases = Cases(case_numbers(flagged))
        starts = np.concatenate([[0], np.cumsum(cases.sizes)])
        for number, first_records in enumerate(row_chunks(cases.first, size)):
            low, high = number * size, min((number + 1) * size, cases.count)
            positions = cases.order[starts[low] : starts[high]]
            records = flagged.take(pa.array(positions))
            within = Cases(cases.case[positions] - low)
            yield lay_out_cases(case_rows(records, within, first_records))

    def chunks(self) -> Iterator[pa.Table]:
        """The review table, chunk by chunk, with the same columns in every chunk."""
        if self._spool is None:
            raise ValueError("the review chunks were not spooled")
        written = 0
        if self._spool.exists():
            with pa.OSFile(str(self._spool)) as source:
                for batch in pa.ipc.open_stream(source):
                    written += batch.num_rows
                    yield finish_review(pa.Table.from_batches([batch]), self.keep)
        if not written:
            yield self.head  # no case: the header alone

    def __enter__(self) -> ReviewChunks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._work.cleanup()
