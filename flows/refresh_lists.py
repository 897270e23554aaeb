"""The list refresh flow: download each list (retried with backoff), check, snapshot, diff, report.

One download task per list, retried with exponential backoff only when the failure is
transient (timeouts, cut connections, 5xx). Checking, snapshotting and diffing are one library
call per list (:func:`screening.lists.store.refresh.activate_download`), so the flow, the CLI and a
notebook cannot disagree about what counts as a good download. The run's outcome per list and
the changes found are published as artifacts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import wait
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.futures import PrefectFuture
from prefect.tasks import Task, exponential_backoff

from screening.lists.store.download import (
    DEFAULT_DEADLINE_SECONDS,
    DownloadError,
    DownloadPolicy,
    clear_stop,
    request_stop,
)
from screening.lists.store.refresh import (
    DEFAULT_MAX_SHRINK,
    RefreshResult,
    StagedDownload,
    activate_download,
    download_list,
    record_failure,
)
from screening.lists.store.snapshots import remove_orphaned_staging, resolve_store
from screening.lists.store.sources import (
    ListSource,
    load_list_sources,
    resolve_active_ids,
    select_sources,
)

DIFF_ROWS_SHOWN = 20
STOP_GRACE_SECONDS = 5.0
"""After SIGTERM/Ctrl-C, how long the downloads get to remove their partial files."""


def retry_transient_only(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry a download only when trying later may help (not a 404 or an oversized file)."""
    try:
        state.result()
    except DownloadError as error:
        return error.transient
    except Exception:
        return False
    return False


def retry_within(
    deadline_at: float, backoff_seconds: float
) -> Callable[[Task[Any, Any], TaskRun, State[Any]], bool]:
    """:func:`retry_transient_only`, and only while the retry's wait ends before the deadline."""

    def condition(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
        wait_seconds = backoff_seconds * 2 ** max(task_run.run_count - 1, 0) * 1.2  # + jitter
        if time.time() + wait_seconds >= deadline_at:
            return False
        return retry_transient_only(task, task_run, state)

    return condition


@task(cache_policy=NO_CACHE, retry_condition_fn=retry_transient_only)
def download(source: ListSource, store: Path, policy: DownloadPolicy) -> StagedDownload:
    staged = download_list(source, store=store, policy=policy)
    get_run_logger().info(
        "%s: downloaded %s",
        source.id,
        ", ".join(f"{f.name} ({f.size:,} bytes)" for f in staged.files),
    )
    return staged


@task(cache_policy=NO_CACHE)
def check_and_activate(
    staged: StagedDownload, source: ListSource, store: Path, max_shrink: float
) -> RefreshResult:
    result = activate_download(staged, source, store=store, max_shrink=max_shrink)
    get_run_logger().info("%s: %s%s", source.id, result.status, _reason(result))
    return result


@flow(name="refresh-lists", log_prints=True)
def refresh_lists_flow(
    list_ids: list[str] | None = None,
    store: str | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
    config_file: str | None = None,
    sources_file: str | None = None,
    download_retries: int = 2,
    retry_backoff_seconds: float = 60.0,
    http_attempts: int = 4,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    min_bytes_per_second: float = 10_000.0,
) -> dict[str, Any]:
    """Refresh ``list_ids`` (default: the active lists) into the snapshot store.

    ``sources_file`` replaces the official catalogue (a mirror, or a test server). Each download
    tries ``http_attempts`` times within the task, and the task is retried
    ``download_retries`` times after 1x, 2x, 4x... ``retry_backoff_seconds``; all of it ends
    within ``deadline_seconds``. A transfer slower than ``min_bytes_per_second`` is cut off.
    SIGTERM or Ctrl-C stop every download within seconds, their partial files removed; the
    active snapshots stay as they were.
    """
    deadline_at = time.time() + deadline_seconds
    clear_stop()
    store_path = resolve_store(store)
    remove_orphaned_staging(store_path)
    sources = load_list_sources(sources_file)
    ids = list_ids or resolve_active_ids(config_file=config_file, store=store_path, sources=sources)
    selected = select_sources(ids, sources)
    downloader = download.with_options(
        retries=download_retries,
        retry_delay_seconds=exponential_backoff(retry_backoff_seconds),
        retry_jitter_factor=0.2,
        retry_condition_fn=retry_within(deadline_at, retry_backoff_seconds),
    )
    policy = DownloadPolicy(
        attempts=http_attempts, deadline_at=deadline_at, min_bytes_per_second=min_bytes_per_second
    )
    futures = [(s, downloader.submit(s, store_path, policy)) for s in selected]
    results: list[RefreshResult] = []
    try:
        for source, future in futures:
            results.append(_outcome(source, future, store_path, max_shrink))
    except BaseException:  # SIGTERM (Prefect's TerminationSignal), Ctrl-C: stop and clean up
        request_stop()
        wait([f.wrapped_future for _, f in futures], timeout=STOP_GRACE_SECONDS)
        remove_orphaned_staging(store_path, including_own=True)
        raise
    publish_refresh_report(results)
    summary: dict[str, Any] = {"store": str(store_path), "results": [r.to_dict() for r in results]}
    for status in ("updated", "unchanged", "rejected", "failed"):
        summary[status] = [r.list_id for r in results if r.status == status]
    return summary


def _outcome(
    source: ListSource, future: PrefectFuture[StagedDownload], store: Path, max_shrink: float
) -> RefreshResult:
    try:
        staged = future.result()
    except Exception as error:  # the download failed for good: log it, keep the last copy
        return record_failure(source.id, error, store=store)
    try:
        return check_and_activate(staged, source, store, max_shrink)
    except Exception as error:  # an unexpected fault (disk full...): the other lists go on
        return record_failure(source.id, error, store=store, stage="check")


def publish_refresh_report(results: list[RefreshResult]) -> None:
    """Per-list outcome as a table artifact, and the changes of updated lists as markdown."""
    create_table_artifact(
        key="list-refresh",
        table=[
            {
                "list": r.list_id,
                "status": r.status,
                "active snapshot": r.active_snapshot,
                "list version": r.list_version,
                "entities": r.entities,
                "previous": r.previous,
                "added": r.diff.get("added"),
                "removed": r.diff.get("removed"),
                "changed": r.diff.get("changed"),
                "reason": r.reason,
            }
            for r in results
        ],
        description="Outcome of the list refresh per list; a failed or refused download "
        "keeps the previous snapshot active",
    )
    sections = [_diff_markdown(r) for r in results if r.status == "updated" and r.diff_file]
    problems = [
        f"- **{r.list_id}** {r.status}, {r.active_snapshot or 'nothing'} stays active: {r.reason}"
        for r in results
        if r.status in ("rejected", "failed")
    ]
    if problems:
        sections.insert(0, "## Not refreshed\n\n" + "\n".join(problems))
    create_markdown_artifact(
        key="list-refresh-diff",
        markdown="\n\n".join(sections) or "No list changed.",
        description="Entities added, removed or changed by this refresh, per list",
    )


def _diff_markdown(result: RefreshResult) -> str:
    counts = result.diff
    lines = [
        f"## {result.list_id}: {result.previous} → {result.new_snapshot}",
        "",
        f"{counts.get('added', 0)} added, {counts.get('removed', 0)} removed, "
        f"{counts.get('changed', 0)} changed. Full list: `{result.diff_file}`",
    ]
    diff = pd.read_csv(result.diff_file, encoding="utf-8-sig", dtype=str, nrows=DIFF_ROWS_SHOWN)
    if len(diff):
        lines += ["", "| change | list | id | name | what changed |", "|---|---|---|---|---|"]
        lines += [
            "| {} | {} | {} | {} | {} |".format(
                *(
                    str(row[c]).replace("|", "/") if pd.notna(row[c]) else ""
                    for c in ("change", "list_source", "source_id", "name", "changes")
                )
            )
            for _, row in diff.iterrows()
        ]
    return "\n".join(lines)


def _reason(result: RefreshResult) -> str:
    return f": {result.reason}" if result.reason else ""
