"""A run's output folder: flagged.csv for review, screened.parquet, rejected.csv, manifest.json.

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
from screening.lists.bundled import sha256_of
from screening.pipeline import flagged_records

FLAGGED_LEADING_COLUMNS = (
    "risk_level",
    "risk_points",
    "risk_reasons",
    "record_id",
    "source_file",
    "source_row",
    "date",
    "exporter",
    "exporter_match_name",
    "exporter_match_list_source",
    "exporter_match_source_id",
    "exporter_match_score",
    "exporter_match_explanation",
    "importer",
    "importer_match_name",
    "importer_match_list_source",
    "importer_match_source_id",
    "importer_match_score",
    "importer_match_explanation",
    "origin_country",
    "destination_country",
    "route",
    "hs_code",
    "hs6",
    "chpl_tier",
    "chpl_description",
    "description",
    "value",
    "quantity",
)
REVIEW_COLUMNS = ("analyst_decision", "analyst_note")
"""Left empty for the reviewer: confirmed / false_positive / escalated, and a note."""


def flagged_for_review(screened: pa.Table) -> pa.Table:
    """Flagged records in review order, leading columns first, empty columns dropped."""
    flagged = flagged_records(screened)
    leading = [c for c in FLAGGED_LEADING_COLUMNS if c in flagged.column_names]
    rest = [
        c
        for c in flagged.column_names
        if c not in leading and flagged[c].null_count < flagged.num_rows
    ]
    table = flagged.select(leading + rest)
    for column in REVIEW_COLUMNS:
        table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    return table


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
    """Write the four run files into ``out_dir`` (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "flagged": write_csv_atomic(flagged_for_review(screened), out / "flagged.csv"),
        "screened": write_parquet_atomic(screened, out / "screened.parquet"),
        "rejected": write_csv_atomic(rejects, out / "rejected.csv"),
    }
    paths["manifest"] = write_json_atomic(
        {**manifest, "outputs": {k: str(v) for k, v in paths.items()}}, out / "manifest.json"
    )
    return paths
