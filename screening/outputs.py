"""A run's output folder: flagged.csv / flagged.xlsx for review, report.html, screened.parquet,
rejected.csv, manifest.json.

Every file is written atomically (temp file + rename), so a crashed run never leaves a
half-written CSV that an analyst might open, and every CSV is formula-escaped.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from screening.io.writers import write_csv_atomic, write_json_atomic, write_parquet_atomic
from screening.lists.store.bundled import sha256_of
from screening.pipeline import flagged_records
from screening.report import review_table, write_review_files
from screening.report.review_layout import DECISION_COLUMNS

REVIEW_COLUMNS = DECISION_COLUMNS
"""Left empty for the reviewer: cleared / confirmed / escalated, and a note."""


def flagged_for_review(screened: pa.Table) -> pa.Table:
    """The review file's rows: flagged records grouped into cases, in reading order
    (see :func:`screening.report.review_table`)."""
    return review_table(flagged_records(screened))


def count_by(table: pa.Table, column: str) -> dict[str, int]:
    if table.num_rows == 0 or column not in table.column_names:
        return {}
    counts = pc.value_counts(pc.fill_null(table[column].cast(pa.string()), "(none)"))
    return {str(c["values"]): int(c["counts"]) for c in counts.to_pylist()}


def build_manifest(
    *,
    inputs: Iterable[str | Path],
    screened: pa.Table,
    rejects: pa.Table,
    rows_in: int,
    list_versions: Mapping[str, str],
    config: Mapping[str, Any],
    timings: Mapping[str, float],
    layouts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What was screened, against what, with which settings, and what came out."""
    rows_flagged = int(pc.sum(pc.not_equal(screened["risk_level"], "none")).as_py() or 0)
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": [
            {"path": str(p), "sha256": sha256_of(p), "layout": (layouts or {}).get(str(p))}
            for p in inputs
        ],
        "lists": dict(list_versions),
        "config": dict(config),
        "counts": {
            "rows_in": rows_in,
            "rows_screened": screened.num_rows,
            "rows_rejected": rejects.num_rows,
            "rows_flagged": rows_flagged,
            "by_risk_level": count_by(screened, "risk_level"),
            "by_route": count_by(screened, "route"),
            "by_chpl_tier": count_by(screened, "chpl_tier"),
        },
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "environment": {"python": platform.python_version(), "pyarrow": pa.__version__},
    }


def write_run_outputs(
    out_dir: str | Path, *, screened: pa.Table, rejects: pa.Table, manifest: Mapping[str, Any]
) -> dict[str, Path]:
    """Write the run files into ``out_dir`` (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        **write_review_files(out, flagged=flagged_records(screened), manifest=manifest),
        "screened": write_parquet_atomic(screened, out / "screened.parquet"),
        "rejected": write_csv_atomic(rejects, out / "rejected.csv"),
    }
    paths["manifest"] = write_json_atomic(
        {**manifest, "outputs": {k: str(v) for k, v in paths.items()}}, out / "manifest.json"
    )
    return paths
