"""Spilled re-export chain legs come back in order, without the legs of rejected files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from screening.geo.leg_spill import ChainLegSpill


def _legs(first_row: int, exporters: list[str]) -> pa.Table:
    return pa.table(
        {
            "record_id": [f"r{first_row + i}" for i in range(len(exporters))],
            "exporter": exporters,
            "_run_row": pa.array(range(first_row, first_row + len(exporters)), pa.int64()),
        }
    )


def test_legs_of_a_file_rejected_part_way_are_dropped(tmp_path: Path) -> None:
    spill = ChainLegSpill(tmp_path / "legs.arrow")
    spill.write(_legs(0, ["OOO ALFA", "TOO BETA"]), file_number=0)
    spill.write(_legs(2, ["GAMMA LLC"]), file_number=1)  # its file fails after this batch
    spill.write(_legs(3, []), file_number=2)  # a batch with no candidate leg
    spill.write(_legs(5, ["DELTA FZE"]), file_number=2)
    legs = spill.read(rejected_files={1})
    assert legs is not None
    assert legs.column_names == ["record_id", "exporter", "_run_row"]
    assert legs["exporter"].to_pylist() == ["OOO ALFA", "TOO BETA", "DELTA FZE"]
    assert legs["_run_row"].to_pylist() == [0, 1, 5]


def test_nothing_written_reads_as_none(tmp_path: Path) -> None:
    assert ChainLegSpill(tmp_path / "legs.arrow").read() is None
