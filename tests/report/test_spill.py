"""The flagged records spilled by a streamed run give the same review files as in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from screening.pipeline import flagged_records
from screening.report.files import write_review_files
from screening.report.spill import FlaggedFile, FlaggedSpill


def _flagged_part(rng: np.random.Generator, first: int, rows: int) -> pa.Table:
    """Flagged records of one part: ties in level and points, a source_row repeated across
    files, parties repeated so that records group into cases."""
    parties = ["ACME LTD", "Acme  Ltd", "ZAVOD OOO", "BETA GMBH"]
    return pa.table(
        {
            "record_id": [f"r{first + i}" for i in range(rows)],
            "source_file": ["a.csv" if i % 2 else "b.csv" for i in range(rows)],
            "source_row": pa.array(rng.integers(0, 5, rows), pa.int64()),
            "risk_level": rng.choice(["high", "medium", "low"], rows).tolist(),
            "risk_points": pa.array(rng.integers(1, 4, rows), pa.int64()),
            "risk_reasons": ["party; goods"] * rows,
            "exporter": rng.choice(parties, rows).tolist(),
            "importer": rng.choice(parties, rows).tolist(),
            "exporter_match_source_id": rng.choice(["1", None], rows).tolist(),
            "exporter_match_list_source": ["us_ofac_sdn"] * rows,
            "hs6": rng.choice(["847130", "850440"], rows).tolist(),
            "route": ["direct"] * rows,
            "date": [f"2023-0{1 + i % 9}-01" for i in range(rows)],
            "value": rng.random(rows).round(2),
        }
    )


def test_spilled_parts_give_the_in_memory_review_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    parts = [_flagged_part(rng, first, 40) for first in (0, 40, 80)]
    spill = FlaggedSpill(tmp_path / "flagged.parquet")
    for part in parts:
        spill.write(part)
    spill.close(parts[0].schema)
    assert spill.rows == 120

    in_memory = flagged_records(pa.concat_tables(parts))
    spilled = FlaggedFile(spill.path)
    assert spilled.records["record_id"].to_pylist() == in_memory["record_id"].to_pylist()
    positions = np.array([5, 0, 119])
    assert spilled.take(positions).equals(in_memory.take(pa.array(positions)))
    assert spilled.top(3) == in_memory.slice(0, 3).select(list(spilled.top(1)[0])).to_pylist()

    manifest = {"counts": {"rows_flagged": 120}}
    (tmp_path / "memory").mkdir()
    (tmp_path / "spill").mkdir()
    write_review_files(tmp_path / "memory", flagged=in_memory, manifest=manifest)
    write_review_files(
        tmp_path / "spill", flagged=spilled.records, manifest=manifest, take_rows=spilled.take
    )
    memory_csv = (tmp_path / "memory" / "flagged.csv").read_bytes()
    assert memory_csv == (tmp_path / "spill" / "flagged.csv").read_bytes()
    assert memory_csv.count(b"\n") < 121, "records of one case share a row"
