"""The nightly deployment: refresh the lists, screen the new trade records, re-screen the
parties already seen against what the lists added or changed, and say where it all went.

Start a server (`prefect server start --port <free port>`), point the client at it
(`prefect config set PREFECT_API_URL=http://127.0.0.1:<port>/api`), then serve with
`dualuse serve --folder DIR --out DIR` (or `python -m flows.deployments DIR OUT`).

Each night writes into ``OUT/<UTC time>/``: ``screening/`` (the run folder: flagged.csv,
flagged.xlsx, report.html, manifest.json, ...) and ``rescreen/`` (new_hits.csv,
rescreen.json). Only records the review store has not seen are screened (``--only-new``), so
a folder that keeps last month's files costs only what arrived since; the store records each
file screened and each party seen. Decisions and seen records live in the review store
(``db``, default ``DUALUSE_DB`` or SQLite in the data dir).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.refresh_lists import refresh_lists_flow
from flows.screen_trade import screen_trade
from screening.config import ScreeningConfig

NIGHTLY_CRON = "0 2 * * *"


@task(cache_policy=NO_CACHE)
def rescreen_seen_parties(db: str | None, out_dir: str, config_file: str | None) -> dict[str, Any]:
    """`dualuse rescreen`: seen parties against the entries added or changed since."""
    from screening.review import open_store, rescreen

    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    with open_store(db) as store:
        result = rescreen(store, out_dir, config=config)
    get_run_logger().info(
        "Re-screened %d of %d parties: %d new hit(s)",
        result.parties_rescreened,
        result.parties,
        result.hits,
    )
    return result.to_dict()


def publish_nightly_summary(
    target: Path, screening: dict[str, Any], rescreened: dict[str, Any], refreshed: dict | None
) -> None:
    """Where tonight's outputs are, which files were screened, and what the lists did."""
    outputs = screening["outputs"]
    lines = [
        f"## Nightly screening {target.name}",
        "",
        f"Outputs in `{target}`",
        "",
        "| what | where |",
        "|---|---|",
        *(f"| {name} | `{path}` |" for name, path in sorted(outputs.items())),
        f"| new hits after list changes | `{rescreened['outputs']['new_hits']}` |",
        "",
        f"{screening['counts'].get('rows_screened', 0)} new records screened, "
        f"{screening['counts'].get('rows_skipped_seen', 0)} skipped as seen before, "
        f"{screening['counts'].get('rows_flagged', 0)} flagged; "
        f"{screening['counts'].get('suppressed_by_decision', 0)} cleared earlier; "
        f"{rescreened['hits']} new hit(s) among {rescreened['parties_rescreened']} re-screened "
        "parties.",
    ]
    if refreshed is not None:
        lines += [
            "",
            "Lists: "
            + "; ".join(
                f"{status} {', '.join(refreshed[status])}"
                for status in ("updated", "unchanged", "rejected", "failed")
                if refreshed.get(status)
            ),
        ]
    create_markdown_artifact(
        key="nightly-outputs",
        markdown="\n".join(lines),
        description="Where the nightly run wrote its outputs",
    )
    files = screening["review"].get("files", {})
    create_table_artifact(
        key="nightly-files",
        table=[{"file": name, **tally} for name, tally in sorted(files.items())]
        or [{"file": "(no trade file)", "rows_read": 0}],
        description="Trade files read tonight: records screened and skipped as seen before",
    )


@flow(name="nightly-screening", log_prints=True)
def nightly_screening(
    folder: str,
    out_dir: str,
    config_file: str | None = None,
    db: str | None = None,
    refresh: bool = True,
    sources_file: str | None = None,
) -> dict[str, Any]:
    """Refresh the lists, screen the folder's new records, re-screen seen parties.

    A failed list refresh keeps the last good lists active (see flows.refresh_lists), so the
    screening goes on either way. ``sources_file`` replaces the official catalogue (a mirror).
    """
    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    target = Path(out_dir) / datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    refreshed = (
        refresh_lists_flow(store=config.list_store, sources_file=sources_file) if refresh else None
    )
    screening = screen_trade(
        trade_files=[folder],
        out_dir=str(target / "screening"),
        config_file=config_file,
        db=db,
        only_new=True,
    )
    rescreened = rescreen_seen_parties(db, str(target / "rescreen"), config_file)
    publish_nightly_summary(target, screening, rescreened, refreshed)
    return {
        "out_dir": str(target),
        "screening": screening,
        "rescreen": rescreened,
        "refresh": refreshed,
    }


def nightly_deployment(
    *,
    folder: str,
    out_dir: str,
    cron: str = NIGHTLY_CRON,
    timezone: str = "UTC",
    config_file: str | None = None,
    db: str | None = None,
    refresh: bool = True,
) -> RunnerDeployment:
    """The nightly deployment: ``folder``'s new records -> ``out_dir/<time>``, lists refreshed
    first and seen parties re-screened after. Pass a PostgreSQL store through ``DUALUSE_DB``
    rather than ``db`` when its URL holds a password (parameters are shown in the UI)."""
    return nightly_screening.to_deployment(
        name="nightly-screening",
        schedule=Cron(cron, timezone=timezone),
        parameters={
            "folder": folder,
            "out_dir": out_dir,
            "config_file": config_file,
            "db": db,
            "refresh": refresh,
        },
        tags=["dual-use", "screening"],
        description="Refresh the lists, screen a folder's new trade records, re-screen the "
        "parties seen before against list additions.",
    )


if __name__ == "__main__":  # pragma: no cover - a long-running server process
    from prefect import serve

    serve(nightly_deployment(folder=sys.argv[1], out_dir=sys.argv[2]))
