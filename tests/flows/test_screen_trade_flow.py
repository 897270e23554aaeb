"""Real Prefect runs of the screening flow (temporary server), checked through their outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from flows.screen_trade import screen_trade
from screening.cli import cli
from screening.pipeline import PARTY_ROLES
from tests.conftest import shared_path

RISK_ORDER = {"high": 0, "medium": 1, "low": 2}


def read_flagged(out: Path) -> pd.DataFrame:
    raw = (out / "flagged.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "flagged.csv must carry a BOM so Excel shows Cyrillic"
    return pd.read_csv(out / "flagged.csv", encoding="utf-8-sig", dtype=str)


def read_manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_run")
    result = screen_trade(out_dir=str(out))
    assert result["out_dir"] == str(out)
    return out


def test_sample_run_flags_with_reasons_highest_risk_first(sample_run: Path) -> None:
    flagged = read_flagged(sample_run)
    assert len(flagged) > 50
    assert flagged["risk_reasons"].str.len().min() > 10
    ranks = flagged["risk_level"].map(RISK_ORDER)
    assert ranks.is_monotonic_increasing
    assert {"high", "medium"} <= set(flagged["risk_level"])
    top = flagged[flagged["risk_level"] == "high"]
    # every high flag combines at least two signals, and says which
    for reasons in top["risk_reasons"]:
        assert reasons.count(";") >= 1
    assert {"analyst_decision", "analyst_note"} <= set(flagged.columns)


def test_sample_run_manifest_counts_add_up(sample_run: Path) -> None:
    manifest = read_manifest(sample_run)
    counts = manifest["counts"]
    assert counts["rows_in"] == counts["rows_screened"] + counts["rows_rejected"]
    assert counts["rows_flagged"] == read_flagged(sample_run)["record_count"].astype(int).sum()
    assert sum(counts["by_risk_level"].values()) == counts["rows_screened"]
    screened = pd.read_parquet(sample_run / "screened.parquet")
    assert len(screened) == counts["rows_screened"]
    assert manifest["inputs"][0]["sha256"]
    assert manifest["lists"]["us_ofac_sdn"] == "2023-12-28"


def test_sample_run_artifact_says_where_the_outputs_are(sample_run: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["screening-outputs"]))
        )
    texts = [a.data for a in artifacts if str(sample_run) in (a.data or "")]
    assert texts, "an artifact names the run's output folder"
    for name in ("report.html", "flagged.xlsx", "flagged.csv", "screened.parquet"):
        assert str(sample_run / name) in texts[0], name


def test_flagged_cells_are_formula_escaped(tmp_path: Path) -> None:
    trade = tmp_path / "trade.csv"
    with open(trade, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "EXPORTER_NAME",
                "IMPORTER_NAME",
                "HS_CODE",
                "DESTINATION_COUNTRY",
                "PRODUCT_DESCRIPTION",
            ]
        )
        writer.writerow(
            [
                '=HYPERLINK("http://x")',
                "OOO SILOVYE MASHINY",
                "8542.31",
                "RUSSIA",
                "+cmd|' /C calc'!A0",
            ]
        )
        writer.writerow(["ACME GMBH", "OOO ROMASHKA", "690721", "GERMANY", "tiles"])
        writer.writerow(["", "", "", "", ""])
        writer.writerow(["", "", "", "RUSSIA", ""])
    out = tmp_path / "out"
    screen_trade(trade_files=[str(trade)], out_dir=str(out))
    flagged = read_flagged(out)
    row = flagged.iloc[0]
    assert row["exporter"].startswith("'=")
    assert row["description"].startswith("'+")
    assert row["risk_level"] == "high"
    assert "CHPL tier 1" in row["risk_reasons"]
    counts = read_manifest(out)["counts"]
    assert counts["rows_in"] == counts["rows_screened"] + counts["rows_rejected"]
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig")
    assert len(rejected) == 1 and rejected["row"].iloc[0] == 5


def test_vendor_samples_load_fully_with_rare_explained_name_flags(tmp_path: Path) -> None:
    folder = shared_path("trade", "vendor_samples_xlsx")
    out = tmp_path / "vendor"
    result = screen_trade(trade_files=[str(folder)], out_dir=str(out))
    counts = result["counts"]
    assert counts["rows_in"] == 13_285
    assert counts["rows_screened"] + counts["rows_rejected"] == 13_285
    screened = pd.read_parquet(out / "screened.parquet")
    assert screened["chpl_tier"].notna().sum() == 0  # ceramic tiles, T-shirts
    assert (screened["hs_status"] == "valid").all()
    flagged = read_flagged(out)
    assert len(flagged) / counts["rows_screened"] < 0.005
    for _, row in flagged.iterrows():
        assert any(isinstance(row[f"{r}_match_explanation"], str) for r in PARTY_ROLES)
        assert "matches" in row["risk_reasons"]
    assert len(read_manifest(out)["inputs"]) == 36


def test_cli_run_writes_the_output_set(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = CliRunner().invoke(cli, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "flagged" in result.output
    assert {p.name for p in out.iterdir()} == {
        "flagged.csv",
        "flagged.xlsx",
        "report.html",
        "screened.parquet",
        "rejected.csv",
        "manifest.json",
    }
    assert {p.name for p in tmp_path.iterdir()} == {"cli"}, "no lock or staging left behind"


def flagged_records_of(out: Path) -> pd.DataFrame:
    """The flagged records of a run, as screened.parquet holds them (review order)."""
    screened = pd.read_parquet(out / "screened.parquet")
    columns = ["record_id", "risk_level", "risk_points", "risk_reasons", "route", "chpl_tier"]
    columns += [f"{r}_match_source_id" for r in PARTY_ROLES]
    return screened.loc[screened["risk_level"] != "none", columns].reset_index(drop=True)


@pytest.fixture(scope="module")
def mixed_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two files of different layouts: the bundled sample cut in two, once as Parquet."""
    from screening.paths import SAMPLE_TRADES

    folder = tmp_path_factory.mktemp("mixed")
    sample = pd.read_csv(SAMPLE_TRADES, dtype=str, keep_default_na=False)
    sample.iloc[:2500].to_csv(folder / "a.csv", index=False)
    sample.iloc[2500:].to_parquet(folder / "b.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def library_run(mixed_input: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library entry point in this process, batches of 700 rows."""
    from screening import screen_files

    out = tmp_path_factory.mktemp("library") / "out"
    result = screen_files([mixed_input], out_dir=out, batch_rows=700)
    assert result.manifest["execution"]["batches"] == 8
    return out


def test_cli_flow_and_library_give_the_same_outputs(
    mixed_input: Path, library_run: Path, tmp_path: Path
) -> None:
    flow = screen_trade(trade_files=[str(mixed_input)], out_dir=str(tmp_path / "flow"))
    cli_out = tmp_path / "cli"
    result = CliRunner().invoke(cli, ["run", str(mixed_input), "--out", str(cli_out)])
    assert result.exit_code == 0, result.output
    expected = flagged_records_of(library_run)
    assert len(expected) > 300
    for out in (Path(flow["out_dir"]), cli_out):
        pd.testing.assert_frame_equal(flagged_records_of(out), expected)
        assert (out / "flagged.csv").read_bytes() == (library_run / "flagged.csv").read_bytes()
    assert flow["counts"] == read_manifest(library_run)["counts"]
    # several batches (700 rows) give what one batch per file gives
    assert read_manifest(cli_out)["execution"]["batches"] == 2


def test_dask_local_cluster_of_one_worker_flags_the_same_records(
    mixed_input: Path, library_run: Path, tmp_path: Path
) -> None:
    """The flow on a LocalCluster it starts (``dask_workers``), batches of 900 rows."""
    out = tmp_path / "dask1"
    result = screen_trade(
        trade_files=[str(mixed_input)], out_dir=str(out), dask_workers=1, batch_rows=900
    )
    manifest = read_manifest(out)
    assert manifest["execution"]["executor"] == "Dask LocalCluster, 1 worker process(es)"
    assert manifest["execution"]["batches"] == 6  # 900 + 900 + 700 in each file
    pd.testing.assert_frame_equal(flagged_records_of(out), flagged_records_of(library_run))
    assert (out / "flagged.csv").read_bytes() == (library_run / "flagged.csv").read_bytes()
    assert result["counts"] == read_manifest(library_run)["counts"]


def test_dask_cluster_of_two_workers_flags_the_same_records_loading_lists_once_each(
    mixed_input: Path, library_run: Path, tmp_path: Path
) -> None:
    """An existing cluster (``dask_address``) of two worker processes: each loads the lists
    once for the run (not once per task), and the flags are the same."""
    from distributed import Client, LocalCluster

    from screening import screen_files
    from screening.parallel import reference_loads

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        result = screen_files(
            [mixed_input],
            out_dir=tmp_path / "dask2",
            dask_address=cluster.scheduler_address,
            batch_rows=900,
        )
        loads = client.run(reference_loads)
    assert result.manifest["execution"]["executor"].startswith("Dask cluster at tcp://")
    # each worker loaded the lists (and index) once, ahead of its first task, not per task
    assert len(loads) == 2
    assert all(len(keys) == 1 for keys in loads.values()), loads
    pd.testing.assert_frame_equal(
        flagged_records_of(result.out_dir), flagged_records_of(library_run)
    )
    assert (result.out_dir / "flagged.csv").read_bytes() == (
        library_run / "flagged.csv"
    ).read_bytes()
    assert result.counts == read_manifest(library_run)["counts"]
    # the workbook (written by one worker, the csv and report by another) as in process
    assert workbook_cells(result.out_dir) == workbook_cells(library_run)
    assert "<html" in (result.out_dir / "report.html").read_text(encoding="utf-8").lower()
    assert result.top_flags == top_flags_of(library_run, tmp_path)


def workbook_cells(out: Path) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(out / "flagged.xlsx"))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def top_flags_of(out: Path, tmp_path: Path) -> list[dict[str, object]]:
    """The first 20 flagged records of a run in review order, as the CLI prints them."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from screening.report.spill import FlaggedFile

    screened = pq.read_table(out / "screened.parquet")
    flagged = screened.filter(pc.not_equal(screened["risk_level"], "none"))
    pq.write_table(flagged, tmp_path / "flagged-of-run.parquet")
    return FlaggedFile(tmp_path / "flagged-of-run.parquet").top(20)


def test_a_rejected_file_is_named_in_the_flow_artifact(mixed_input: Path, tmp_path: Path) -> None:
    from prefect.artifacts import Artifact

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes((mixed_input / "a.csv").read_bytes())
    (folder / "broken.parquet").write_bytes(b"PAR1 not parquet at all")
    result = screen_trade(trade_files=[str(folder)], out_dir=str(tmp_path / "out"))
    assert [Path(f["path"]).name for f in result["files_rejected"]] == ["broken.parquet"]
    assert result["counts"]["rows_screened"] == 2500
    artifact = Artifact.get("screening-rejected-files")
    assert artifact is not None and "broken.parquet" in str(artifact.data)
    flags = Artifact.get("screening-top-flags")
    assert flags is not None and "broken.parquet" in str(flags.data)
