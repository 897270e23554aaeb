"""Re-export chain leg candidates kept on disk while a run reads its input.

Every record that may be one leg of a chain is a candidate (a third of the synthetic
records), and the chains can only be found once the whole input is read. Held in the run's
own process, a 10M-row input's candidates took about 420 MB for the whole of reading, the
stretch of the run when its matching processes also hold their name index: the run's memory
peak. Appended to an Arrow file batch by batch, they are read back (memory-mapped) only when
matching is over and those processes are gone.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

FILE_NUMBER = "_input_file"
"""Which input file a leg came from: the legs of a file rejected part way are dropped."""


class ChainLegSpill:
    """Leg candidates appended per batch (``write``), read back whole (``read``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sink: pa.ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, legs: pa.Table, file_number: int) -> None:
        marked = legs.append_column(
            FILE_NUMBER, pa.array([file_number] * legs.num_rows, pa.int32())
        )
        if self._sink is None:
            self._schema = marked.schema
            self._sink = pa.ipc.new_file(self.path, marked.schema)
        self._sink.write_table(marked.cast(self._schema))

    def read(self, rejected_files: Collection[int] = ()) -> pa.Table | None:
        """Every leg written, in order, but those of ``rejected_files``; None if nothing was
        written. The file is closed for writing first."""
        if self._sink is None:
            return None
        self._sink.close()
        self._sink = None
        legs = pa.ipc.open_file(pa.memory_map(str(self.path))).read_all()
        if rejected_files:
            rejected = pa.array(sorted(rejected_files), pa.int32())
            legs = legs.filter(pc.invert(pc.is_in(legs[FILE_NUMBER], value_set=rejected)))
        return legs.drop_columns([FILE_NUMBER])

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None
