"""The nightly deployment: registered on the (temporary) server and read back; and two real
nights against a local list server: a list update between them, new trade files only screened,
the parties of the first night re-screened against the entries the update added."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from prefect.artifacts import Artifact
from prefect.client.orchestration import get_client

from flows.deployments import NIGHTLY_CRON, nightly_deployment, nightly_screening
from screening.paths import SAMPLE_TRADES
from tests.lists.list_server import ListServer, write_local_catalogue


def test_nightly_deployment_schedule_and_parameters(tmp_path: Path) -> None:
    deployment = nightly_deployment(folder=str(tmp_path / "in"), out_dir=str(tmp_path / "out"))
    deployment_id = deployment.apply()

    async def read_back():
        async with get_client() as client:
            return await client.read_deployment(deployment_id)

    stored = asyncio.run(read_back())
    assert stored.name == "nightly-screening"
    assert [s.schedule.cron for s in stored.schedules] == [NIGHTLY_CRON]
    assert stored.schedules[0].schedule.timezone == "UTC"
    assert stored.parameters == {
        "folder": str(tmp_path / "in"),
        "out_dir": str(tmp_path / "out"),
        "config_file": None,
        "db": None,
        "refresh": True,
    }


NEW_IN_2024 = "JOINT STOCK COMPANY SOVCOMFLOT"
"""Listed by OFAC in February 2024: in the newer SDN publication, not in the 2023-12-28 one."""


def _week(rows: pd.DataFrame, path: Path, planted: str | None = None) -> Path:
    if planted:
        extra = rows.iloc[:1].copy()
        extra["RECORD_ID"], extra["IMPORTER_NAME"] = "PLANTED-1", planted
        extra["DESTINATION_COUNTRY"], extra["HS_CODE"] = "RUSSIA", "854231"
        rows = pd.concat([rows, extra])
    rows.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def nights(
    server: ListServer,
    sdn_v1: dict[str, Path],
    sdn_v2: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("nightly")
    store, folder, out = work / "lists", work / "incoming", work / "out"
    store.mkdir()
    folder.mkdir()
    (store / "lists.yml").write_text("active: [us_ofac_sdn]\n", encoding="utf-8")
    config = work / "config.yml"
    config.write_text(yaml.safe_dump({"list_store": str(store)}), encoding="utf-8")
    options = {
        "folder": str(folder),
        "out_dir": str(out),
        "config_file": str(config),
        "db": f"sqlite:///{work / 'review.sqlite'}",
        "sources_file": str(write_local_catalogue(server, ["us_ofac_sdn"], work / "sources.yml")),
    }
    sample = pd.read_csv(SAMPLE_TRADES, dtype=str, keep_default_na=False)

    _week(sample.iloc[:400], folder / "week1.csv", planted=NEW_IN_2024)
    server.serve_files("us_ofac_sdn", sdn_v1, last_modified="Thu, 28 Dec 2023 18:00:00 GMT")
    first = nightly_screening(**options)

    _week(sample.iloc[400:800], folder / "week2.csv")
    server.routes.clear()
    server.serve_files("us_ofac_sdn", sdn_v2, last_modified="Fri, 03 May 2024 18:00:00 GMT")
    second = nightly_screening(**options)
    outputs = Artifact.get("nightly-outputs")
    files = Artifact.get("nightly-files")
    return {"first": first, "second": second, "outputs": outputs.data, "files": files.data}


def test_each_night_refreshes_then_screens_only_new_records(nights: dict[str, dict]) -> None:
    first, second = nights["first"], nights["second"]
    assert first["refresh"]["updated"] == second["refresh"]["updated"] == ["us_ofac_sdn"]
    assert first["screening"]["counts"]["rows_screened"] == 401
    assert second["screening"]["counts"]["rows_skipped_seen"] == 401
    assert second["screening"]["counts"]["rows_screened"] == 400
    assert second["screening"]["review"]["files"] == {
        "week1.csv": {"rows_read": 401, "rows_screened": 0, "rows_skipped_seen": 401},
        "week2.csv": {"rows_read": 400, "rows_screened": 400, "rows_skipped_seen": 0},
    }
    assert Path(second["screening"]["out_dir"]).parent == Path(second["out_dir"])
    assert (Path(second["screening"]["out_dir"]) / "flagged.csv").is_file()


def test_the_second_night_rescreens_first_night_parties_against_additions(
    nights: dict[str, dict],
) -> None:
    first, second = nights["first"]["rescreen"], nights["second"]["rescreen"]
    assert first["parties_rescreened"] == 0  # parties were just screened on the same lists
    # the parties seen only in week 1 (those of week 2 were screened on the newer list)
    assert 0 < second["parties_rescreened"] < second["parties"]
    hits = pd.read_csv(second["outputs"]["new_hits"], dtype=str, encoding="utf-8-sig")
    planted = hits[hits["party"] == NEW_IN_2024]
    assert list(planted["change"]) == ["added"]
    assert list(planted["seen_in_file"]) == ["week1.csv"]
    assert set(hits["change"]) <= {"added", "changed"}


def test_artifacts_say_where_the_outputs_went_and_which_files_were_read(
    nights: dict[str, dict],
) -> None:
    markdown = nights["outputs"]
    second = nights["second"]
    assert f"Outputs in `{second['out_dir']}`" in markdown
    assert second["rescreen"]["outputs"]["new_hits"] in markdown
    assert second["screening"]["outputs"]["flagged"] in markdown
    table = nights["files"]
    rows = json.loads(table) if isinstance(table, str) else table
    assert {r["file"]: r["rows_skipped_seen"] for r in rows} == {"week1.csv": 401, "week2.csv": 0}
