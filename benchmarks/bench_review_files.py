"""Time and size the review-file step of a large run (flagged.csv, flagged.xlsx, report.html).

The step reads a run's spilled flagged records (``FlaggedSpill``), so it can be measured
apart from a whole run: ``make`` rebuilds such a spill from a finished run's
``screened.parquet`` (its flagged records, in input order), optionally replicated ``--copies``
times with distinct record ids, source rows and exporter spellings (so that the copies make
distinct cases, as the records of a larger run would); ``write`` then writes the review files
from it in this process. Run ``write`` under ``/usr/bin/time -v`` for its peak RSS:

    python benchmarks/bench_review_files.py make --run O --copies 10 --spill /tmp/s.parquet
    /usr/bin/time -v python benchmarks/bench_review_files.py write --run O --spill /tmp/s.parquet
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PART_ROWS = 35_000
"""Flagged records per spilled part (a 250k-row part of the synthetic data flags about 14 %)."""


def make_spill(run: Path, copies: int, spill_path: Path) -> int:
    from screening.report.spill import FlaggedSpill

    screened = pq.read_table(run / "screened.parquet")
    flagged = screened.filter(pc.not_equal(screened["risk_level"], "none"))
    del screened
    rows_per_copy = int(pc.max(flagged["source_row"]).as_py()) + 1
    spill = FlaggedSpill(spill_path)
    for copy in range(copies):
        part = flagged
        if copy:
            suffix = f" #{copy}"
            part = part.set_column(
                part.schema.get_field_index("record_id"),
                "record_id",
                pc.binary_join_element_wise(part["record_id"], pa.scalar(suffix), ""),
            )
            part = part.set_column(
                part.schema.get_field_index("source_row"),
                "source_row",
                pc.add(part["source_row"], copy * rows_per_copy),
            )
            part = part.set_column(
                part.schema.get_field_index("exporter"),
                "exporter",
                pc.binary_join_element_wise(part["exporter"], pa.scalar(suffix), ""),
            )
        for start in range(0, part.num_rows, PART_ROWS):
            spill.write(part.slice(start, PART_ROWS))
    spill.close(flagged.schema)
    return spill.rows


def write_files(run: Path, spill_path: Path, out: Path) -> dict[str, float]:
    from screening.report.spill import spilled_review_files

    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    start, cpu = time.perf_counter(), time.process_time()
    spilled_review_files(out, spill_path, manifest)
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("make", "write"))
    parser.add_argument("--run", type=Path, required=True, help="a finished run's folder")
    parser.add_argument("--spill", type=Path, required=True, help="the flagged spill file")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/review-files-bench"))
    args = parser.parse_args()
    if args.step == "make":
        print(json.dumps({"flagged_records": make_spill(args.run, args.copies, args.spill)}))
    else:
        print(json.dumps(write_files(args.run, args.spill, args.out)))


if __name__ == "__main__":
    main()
