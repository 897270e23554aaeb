"""The screening flow: the library's run steps as Prefect tasks, with a summary artifact.

Each task is one step of :class:`screening.run.ScreeningRun` (the same steps ``dualuse run``
and ``screening.screen_files`` take), so the flow adds scheduling, logs and artifacts and no
screening logic. Parallel work (record batches, partitions of distinct names) is spread by the
library itself: pass ``dask_address`` or ``dask_workers``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE

from screening.config import ScreeningConfig
from screening.run import RunResult, ScreeningRun, expand_trade_paths

__all__ = ["expand_trade_paths", "publish_summary", "screen_trade"]


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_reference(run: ScreeningRun) -> None:
    reference = run.load_reference()
    get_run_logger().info(
        "Loaded %d list names from %s",
        reference.lists.num_rows,
        ", ".join(f"{k} ({v})" for k, v in reference.list_versions.items()),
    )


@task(cache_policy=NO_CACHE)
def read_and_prescreen(run: ScreeningRun) -> None:
    run.read_and_prescreen()
    logger = get_run_logger()
    for report in run.files:
        if report.rejected_reason:
            logger.warning("file rejected: %s: %s", report.path, report.rejected_reason)
        elif report.info is not None:
            logger.info(
                "%s: %d rows, %d rejected, layout %s, %s",
                report.path.name,
                report.rows_in,
                report.rows_rejected,
                report.info.layout,
                report.info.encoding or report.info.format,
            )


@task(cache_policy=NO_CACHE)
def match_parties(run: ScreeningRun) -> None:
    matches = run.match_parties()
    get_run_logger().info("%d distinct party names with a list hit", matches.num_rows)


@task(cache_policy=NO_CACHE)
def link_records(run: ScreeningRun) -> None:
    links = run.link_records()
    get_run_logger().info(
        "%d records in re-export chains; %d importers new to or surging in CHPL goods",
        links.chains.num_rows,
        len(links.surges),
    )


@task(cache_policy=NO_CACHE)
def score_and_write(run: ScreeningRun) -> None:
    run.score_and_write()


@task(cache_policy=NO_CACHE)
def finish(run: ScreeningRun) -> RunResult:
    return run.finish()


def publish_summary(result: RunResult) -> None:
    """Counts, rejected files and the top flags as Prefect artifacts, for the run's UI page."""
    counts = result.counts
    create_table_artifact(
        key="screening-counts",
        table=[{"measure": k, "value": v} for k, v in counts.items() if not isinstance(v, dict)]
        + [{"measure": f"risk {k}", "value": v} for k, v in counts["by_risk_level"].items()],
        description="Rows read, screened, rejected and flagged in this run",
    )
    if result.files_rejected:
        create_table_artifact(
            key="screening-rejected-files",
            table=result.files_rejected,
            description="Input files that could not be screened (the others were)",
        )
    lines = ["| risk | record | reasons |", "|---|---|---|"]
    lines += [
        f"| {r['risk_level']} | {r['record_id']} | {(r['risk_reasons'] or '').replace('|', '/')} |"
        for r in result.top_flags
    ]
    rejected = [f"- `{f['path']}`: {f['reason']}" for f in result.files_rejected]
    create_markdown_artifact(
        key="screening-top-flags",
        markdown="## Top flags\n\n"
        + "\n".join(lines)
        + ("\n\n## Rejected files\n\n" + "\n".join(rejected) if rejected else ""),
        description="The 20 highest-risk records of this run",
    )
    publish_outputs(result)


OUTPUT_DESCRIPTIONS = {
    "report": "run report: counts, charts, top entries (opens offline)",
    "flagged_xlsx": "review workbook: one row per case, filters, by-party sheet",
    "flagged": "review file: one row per case, decision columns first",
    "screened": "every record with all screening columns",
    "rejected": "rows that could not be screened, with the reason",
    "manifest": "inputs, list versions, settings, counts, timings",
}


def publish_outputs(result: RunResult) -> None:
    """Where this run's files are: the output folder and each file, on the run's UI page."""
    lines = [
        f"## Outputs\n\nFolder: `{result.out_dir}`\n",
        "| file | path | what |",
        "|---|---|---|",
    ]
    for name, path in result.outputs.items():
        lines.append(f"| {Path(path).name} | `{path}` | {OUTPUT_DESCRIPTIONS.get(name, '')} |")
    create_markdown_artifact(
        key="screening-outputs",
        markdown="\n".join(lines),
        description=f"Output folder of this run: {result.out_dir}",
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
    batch_rows: int = 250_000,
    dask_address: str | None = None,
    dask_workers: int | None = None,
    db: str | None = None,
    only_new: bool = False,
) -> dict[str, Any]:
    """Screen trade files (or folders of them; none = the bundled sample) into ``out_dir``.

    ``db`` is the review store (default: DUALUSE_DB, else SQLite in the data dir): its
    decisions are carried into the run; ``only_new`` skips the records it has seen. Returns
    the output folder, its files, the counts, the review summary and the rejected files.
    """
    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    target = Path(out_dir)
    if dated_subfolder:
        target = target / datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    with ScreeningRun(
        trade_files,
        config,
        target,
        mapping=mapping,
        reporter_country=reporter_country,
        trade_flow=trade_flow,
        batch_rows=batch_rows,
        dask_address=dask_address,
        dask_workers=dask_workers,
        db=db,
        only_new=only_new,
    ) as run:
        load_reference(run)
        read_and_prescreen(run)
        match_parties(run)
        link_records(run)
        score_and_write(run)
        result = finish(run)
    publish_summary(result)
    return {
        "out_dir": str(result.out_dir),
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "counts": result.counts,
        "review": result.manifest["review"],
        "files_rejected": result.files_rejected,
    }
