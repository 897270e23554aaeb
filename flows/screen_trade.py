"""The screening flow: load lists -> load trade files -> screen -> write, with a summary artifact.

Tasks are sized to real work (one per stage, never per row); only list loading is retried,
since it is the step that touches bundled or downloaded files; the flow holds no thresholds or
data-dependent branching: those live in ScreeningConfig and the library.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE

from screening.config import ScreeningConfig
from screening.io import TradeLoadResult, iter_trade_files, load_trade_files
from screening.outputs import build_manifest, write_run_outputs
from screening.paths import SAMPLE_TRADES
from screening.pipeline import (
    ReferenceData,
    assess_records,
    flagged_records,
    load_reference_data,
    screen_chunk,
)
from screening.review.run import RunReview


def expand_trade_paths(paths: list[str] | None) -> list[Path]:
    """Files as given, folders expanded to their trade files (sorted); none = bundled sample."""
    if not paths:
        return [SAMPLE_TRADES]
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        out.extend(iter_trade_files(path) if path.is_dir() else [path])
    return out


def split_records(table: pa.Table, chunk_rows: int) -> list[pa.Table]:
    """Zero-copy slices of at most ``chunk_rows`` records (one empty slice for no records)."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    return [table.slice(start, chunk_rows) for start in range(0, table.num_rows, chunk_rows)] or [
        table
    ]


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_reference(config: ScreeningConfig) -> ReferenceData:
    logger = get_run_logger()
    reference = load_reference_data(config)
    logger.info(
        "Loaded %d list names from %s; %d distinct names indexed; %d goods category codes",
        reference.lists.num_rows,
        ", ".join(f"{k} ({v})" for k, v in reference.list_versions.items()),
        len(reference.index.keys),
        reference.categories.num_rows,
    )
    return reference


@task(cache_policy=NO_CACHE)
def load_trades(
    paths: list[Path],
    mapping: dict[str, str] | None,
    reporter_country: str | None,
    trade_flow: str | None,
) -> TradeLoadResult:
    logger = get_run_logger()
    result = load_trade_files(
        paths, mapping=mapping, reporter_country=reporter_country, flow=trade_flow
    )
    logger.info(
        "Read %d rows from %d file(s): %d loaded, %d rejected",
        result.rows_in,
        len(paths),
        result.table.num_rows,
        result.rejects.num_rows,
    )
    for note in result.notes:
        logger.info(note)
    return result


@task(cache_policy=NO_CACHE)
def screen(
    trades: pa.Table, reference: ReferenceData, config: ScreeningConfig
) -> tuple[pa.Table, dict[str, float]]:
    screened, timings = screen_chunk(trades, reference, config)
    get_run_logger().info("Screened %d records in %.1f s", screened.num_rows, sum(timings.values()))
    return screened, timings


@task(cache_policy=NO_CACHE)
def assess(screened: pa.Table, config: ScreeningConfig) -> tuple[pa.Table, dict[str, float]]:
    assessed, timings = assess_records(screened, config)
    get_run_logger().info("Linked and scored %d records", assessed.num_rows)
    return assessed, timings


@task(cache_policy=NO_CACHE)
def write_outputs(
    out_dir: Path, screened: pa.Table, rejects: pa.Table, manifest: dict[str, Any]
) -> dict[str, str]:
    paths = write_run_outputs(out_dir, screened=screened, rejects=rejects, manifest=manifest)
    return {k: str(v) for k, v in paths.items()}


def publish_summary(manifest: dict[str, Any], screened: pa.Table) -> None:
    """Counts and the top flags as Prefect artifacts, for the run's page in the UI."""
    counts = manifest["counts"]
    create_table_artifact(
        key="screening-counts",
        table=[{"measure": k, "value": v} for k, v in counts.items() if not isinstance(v, dict)]
        + [{"measure": f"risk {k}", "value": v} for k, v in counts["by_risk_level"].items()],
        description="Rows read, screened, rejected and flagged in this run",
    )
    top = (
        flagged_records(screened)
        .slice(0, 20)
        .select(["risk_level", "record_id", "exporter", "importer", "hs6", "risk_reasons"])
    )
    lines = ["| risk | record | reasons |", "|---|---|---|"]
    lines += [
        f"| {r['risk_level']} | {r['record_id']} | {(r['risk_reasons'] or '').replace('|', '/')} |"
        for r in top.to_pylist()
    ]
    create_markdown_artifact(
        key="screening-top-flags",
        markdown="## Top flags\n\n" + "\n".join(lines),
        description="The 20 highest-risk records of this run",
    )


@flow(name="screen-trade", log_prints=True)
def screen_trade(
    trade_files: list[str] | None = None,
    out_dir: str = "out",
    config_file: str | None = None,
    mapping: dict[str, str] | None = None,
    reporter_country: str | None = None,
    trade_flow: str | None = None,
    dated_subfolder: bool = False,
    chunk_rows: int = 250_000,
    db: str | None = None,
    only_new: bool = False,
) -> dict[str, Any]:
    """Screen trade files (or folders of them; none = the bundled sample) into ``out_dir``.

    Records are screened in chunks of ``chunk_rows`` as concurrent tasks; run the flow with
    ``screen_trade.with_options(task_runner=DaskTaskRunner(...))`` to spread them on a cluster.
    ``db`` is the review store (default: DUALUSE_DB, else SQLite in the data dir): its
    decisions are carried into the run; ``only_new`` skips the records it has seen.
    """
    started = time.perf_counter()
    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    paths = expand_trade_paths(trade_files)
    target = Path(out_dir)
    if dated_subfolder:
        target = target / datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    t0 = time.perf_counter()
    reference = load_reference(config)
    t1 = time.perf_counter()
    loaded = load_trades(paths, mapping, reporter_country, trade_flow)
    review = RunReview.open(db, paths, only_new=only_new)
    trades = review.select(loaded.table)
    t2 = time.perf_counter()
    # fan out over chunks of records (never rows); ReferenceData and Arrow tables are opaque
    # to Prefect's argument walking, so they are handed over as they are
    futures = [
        screen.submit(chunk, reference, config) for chunk in split_records(trades, chunk_rows)
    ]
    results = [future.result() for future in futures]
    matched = review.apply(pa.concat_tables([table for table, _ in results]), reference.lists)
    screened, assess_timings = assess(matched, config)
    stage_timings = {
        stage: sum(timings[stage] for _, timings in results) for stage in results[0][1]
    } | assess_timings
    manifest = build_manifest(
        inputs=paths,
        screened=screened,
        rejects=loaded.rejects,
        rows_in=loaded.rows_in,
        list_versions=reference.list_versions,
        config=config.to_manifest(),
        timings={
            "load_reference": t1 - t0,
            "load_trades": t2 - t1,
            **stage_timings,
            "total_before_write": time.perf_counter() - started,
        },
        layouts={
            str(part_path): part.layout
            for part_path, part in zip(paths, loaded.parts or (loaded,), strict=True)
        },
    )
    manifest["counts"]["rows_skipped_seen"] = review.rows_skipped
    manifest["counts"]["suppressed_by_decision"] = review.counts.records_suppressed
    manifest["review"] = review.summary(screened)
    outputs = write_outputs(target, screened, loaded.rejects, manifest)
    recorded = review.record(screened, reference.list_versions)
    review.close()
    publish_summary(manifest, screened)
    return {
        "out_dir": str(target),
        "outputs": outputs,
        "counts": manifest["counts"],
        "review": {**manifest["review"], **recorded},
    }
