"""Real runs of the refresh-lists flow (temporary Prefect server) against a local list server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from prefect.artifacts import Artifact

from flows.refresh_lists import refresh_lists_flow
from screening.lists.store.snapshots import load_active_lists, read_active, verify_snapshot
from tests.lists.list_server import (
    HTML_ERROR_PAGE,
    ListServer,
    Route,
    sdn_ent_nums,
    write_local_catalogue,
)

LISTS = ["us_ofac_sdn", "us_trade_csl", "un_sc"]


@pytest.fixture(scope="module")
def runs(
    server: ListServer,
    sdn_v1: dict[str, Path],
    sdn_v2: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Two nightly runs: a first fill with two bad sources, then a newer SDN publication."""
    work = tmp_path_factory.mktemp("refresh_flow")
    store = work / "store"
    catalogue = write_local_catalogue(server, LISTS, work / "sources.yml")
    options = {
        "store": str(store),
        "sources_file": str(catalogue),
        "retry_backoff_seconds": 0.05,
        "http_attempts": 1,  # so that the task's own retries are what recovers
        "download_retries": 2,
    }

    server.serve_files("us_ofac_sdn", sdn_v1)
    server.serve("us_trade_csl/consolidated.csv", Route(HTML_ERROR_PAGE, content_type="text/html"))
    server.serve("un_sc/consolidated.xml", Route(b"", fail_first=1_000))
    first = refresh_lists_flow(list_ids=LISTS, **options)
    first_hits = dict(server.hits)
    first_snapshot = read_active(store)["active"]["us_ofac_sdn"]["snapshot"]

    server.routes.clear()
    server.hits.clear()
    server.serve_files("us_ofac_sdn", sdn_v2)
    server.serve("us_ofac_sdn/sdn.csv", Route(sdn_v2["sdn.csv"].read_bytes(), fail_first=1))
    second = refresh_lists_flow(list_ids=["us_ofac_sdn", "un_sc"], **options)
    return {
        "store": store,
        "first": first,
        "first_hits": first_hits,
        "first_snapshot": first_snapshot,
        "second": second,
        "second_hits": dict(server.hits),
        "artifact": Artifact.get("list-refresh"),
        "markdown": Artifact.get("list-refresh-diff"),
    }


def test_first_run_activates_good_lists_and_reports_bad_ones(runs: dict[str, Any]) -> None:
    first = runs["first"]
    assert (first["updated"], first["rejected"], first["failed"]) == (
        ["us_ofac_sdn"],
        ["us_trade_csl"],
        ["un_sc"],
    )
    reasons = {r["list_id"]: r["reason"] for r in first["results"]}
    assert "text/html" in reasons["us_trade_csl"]
    assert "HTTP 500" in reasons["un_sc"]
    # transient 5xx: the download task ran 1 + download_retries times
    assert runs["first_hits"]["/un_sc/consolidated.xml"] == 3
    assert runs["first_hits"]["/us_trade_csl/consolidated.csv"] == 1


def test_second_run_recovers_by_task_retry_and_diffs(
    runs: dict[str, Any], sdn_v1: dict[str, Path], sdn_v2: dict[str, Path]
) -> None:
    second = runs["second"]
    assert second["updated"] == ["us_ofac_sdn"]
    assert runs["second_hits"]["/us_ofac_sdn/sdn.csv"] == 2  # 500, then a retried task
    assert runs["second_hits"]["/un_sc/consolidated.xml"] == 1  # 404: not worth a retry
    sdn = next(r for r in second["results"] if r["list_id"] == "us_ofac_sdn")
    old_ids, new_ids = sdn_ent_nums(sdn_v1["sdn.csv"]), sdn_ent_nums(sdn_v2["sdn.csv"])
    assert sdn["previous"] == runs["first_snapshot"]
    assert sdn["diff"]["added"] == len(new_ids - old_ids)
    assert sdn["diff"]["removed"] == len(old_ids - new_ids)
    assert Path(sdn["diff_file"]).is_file()

    store = runs["store"]
    manifest = read_active(store)
    assert manifest["active"]["us_ofac_sdn"]["snapshot"] == sdn["new_snapshot"]
    verify_snapshot(store / "us_ofac_sdn" / runs["first_snapshot"])  # the old one is kept
    statuses = [(e["list_id"], e["status"]) for e in manifest["refresh_log"]]
    assert statuses[-2:] == [("us_ofac_sdn", "updated"), ("un_sc", "failed")]
    assert len(load_active_lists(store, lists=["us_ofac_sdn"])) > 30_000


def test_artifacts_publish_outcomes_and_changes(runs: dict[str, Any]) -> None:
    table = runs["artifact"].data
    rows = json.loads(table) if isinstance(table, str) else table
    by_list = {row["list"]: row for row in rows}
    assert by_list["us_ofac_sdn"]["status"] == "updated"
    assert by_list["us_ofac_sdn"]["added"] == runs["second"]["results"][0]["diff"]["added"]
    assert by_list["un_sc"]["status"] == "failed"
    markdown = runs["markdown"].data
    assert "## Not refreshed" in markdown and "un_sc" in markdown
    assert "JOINT STOCK COMPANY SOVCOMFLOT" in markdown
    assert "1256 added, 112 removed" in markdown


def test_cli_refresh_runs_the_flow_and_exits_1_when_a_list_is_not_refreshed(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    import shutil

    import click
    from click.testing import CliRunner

    from screening.cli_lists import register

    store = tmp_path / "store"
    shutil.copytree(runs["store"], store)
    group = click.Group("lists")
    register(group)
    sources = runs["store"].parent / "sources.yml"
    args = ["refresh", "--list", "us_ofac_sdn", "--list", "un_sc"]
    args += ["--store", str(store), "--sources", str(sources), "--max-shrink", "0.1"]
    result = CliRunner().invoke(group, args)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("us_ofac_sdn: unchanged") for line in lines)
    assert any(
        line.startswith("un_sc: failed, no snapshot") and "HTTP 404" in line for line in lines
    )


@pytest.fixture(scope="module")
def bundled_store(server: ListServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose SDN snapshot is the bundled 2023-12-28 set, and a local catalogue beside
    it (``sources.yml``): what the interruption tests need, without ../shared."""
    from screening import paths
    from screening.lists.store.local_import import import_list_files
    from tests.lists.list_server import SDN_SET_FILES

    work = tmp_path_factory.mktemp("bundled_store")
    write_local_catalogue(server, LISTS, work / "sources.yml")
    folder = Path(paths.REFERENCE_DIR) / "us_ofac_sdn" / "2023-12-28"
    store = work / "store"
    result = import_list_files("us_ofac_sdn", [folder / n for n in SDN_SET_FILES], store=store)
    assert result.status == "updated", result.reason
    return store


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_cli_refresh_within_seconds(
    bundled_store: Path, server: ListServer, tmp_path: Path, signum: signal.Signals
) -> None:
    """A server that stalls after its headers; the signal ends `dualuse lists refresh` within
    seconds, with the active snapshot untouched and no partial file left."""
    import shutil

    from prefect.settings import PREFECT_API_URL

    store = tmp_path / "store"
    shutil.copytree(bundled_store, store)
    before = (store / "active.json").read_bytes()
    server.routes.clear()
    server.requested.clear()
    body = bundled_store.parent / "stall.csv"
    body.write_bytes(b"x" * 100_000)
    server.serve("us_ofac_sdn/sdn.csv", Route(body.read_bytes(), stall_seconds=120))
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    command = [sys.executable, "-m", "screening", "lists", "refresh", "--list", "us_ofac_sdn"]
    command += ["--store", str(store), "--sources", str(bundled_store.parent / "sources.yml")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert server.requested.wait(120), "the refresh never reached the server"
        time.sleep(1.0)  # blocked in the body read now
        assert any((store / ".staging").iterdir())
        sent = time.monotonic()
        process.send_signal(signum)
        process.wait(30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert took < 10, f"stopping took {took:.1f} s"
    assert process.returncode != 0
    assert (store / "active.json").read_bytes() == before  # the last good snapshot stays active
    verify_snapshot(store / "us_ofac_sdn" / read_active(store)["active"]["us_ofac_sdn"]["snapshot"])
    assert not list((store / ".staging").iterdir()), "partial files left behind"
    print(f"{signum.name}: stopped {took:.2f} s after the signal")


def test_deadline_bounds_attempts_and_task_retries_together(
    bundled_store: Path, server: ListServer, tmp_path: Path
) -> None:
    """A server answering 500 forever: without the deadline, 3 attempts x 6 task tries with
    growing waits; with --deadline 3 the flow gives up in seconds and says why."""
    server.routes.clear()
    server.hits.clear()
    server.serve("un_sc/consolidated.xml", Route(b"", fail_first=1_000))
    started = time.monotonic()
    summary = refresh_lists_flow(
        list_ids=["un_sc"],
        store=str(tmp_path / "store"),
        sources_file=str(bundled_store.parent / "sources.yml"),
        http_attempts=3,
        download_retries=5,
        retry_backoff_seconds=1.0,
        deadline_seconds=3.0,
    )
    took = time.monotonic() - started
    assert summary["failed"] == ["un_sc"]
    assert took < 15, f"the flow took {took:.1f} s against a 3 s deadline"
    assert server.hits["/un_sc/consolidated.xml"] < 3 * 6
    reason = summary["results"][0]["reason"]
    assert "HTTP 500" in reason and "deadline" in reason
