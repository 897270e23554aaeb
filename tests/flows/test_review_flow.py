"""The review loop through real flow runs, on SQLite and on a real PostgreSQL: screen, clear
a match and confirm another in the flagged file, screen the same input again, then again with
--only-new. Counts are read from the manifests the runs wrote."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from flows.screen_trade import screen_trade
from screening.cli import cli
from screening.lists import parse_list_files
from screening.names import NameIndex, match_names
from screening.paths import REFERENCE_DIR, SAMPLE_TRADES
from screening.review.carry import party_key
from tests.lists.list_server import keep_rows_of

SDN_DIR = REFERENCE_DIR / "us_ofac_sdn" / "2023-12-28"
OTHER_ENTITIES = 1500
"""SDN entities kept beside the ones the sample names, so matching has real competition."""


@pytest.fixture(scope="module")
def small_sdn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled SDN set cut to the entities the sample's parties match plus 1,500 others
    (real rows, a tenth of the list: each flow run then indexes it in about a second)."""
    lists = parse_list_files([SDN_DIR / "sdn.csv"])
    sample = pd.read_csv(SAMPLE_TRADES, dtype=str)
    parties = pd.concat([sample["EXPORTER_NAME"], sample["IMPORTER_NAME"]]).dropna().unique()
    hits = match_names(list(parties), NameIndex.build(lists), threshold=80, top=5, workers=1)
    named = set(hits["source_id"].to_pylist())
    others = sorted(set(lists["source_id"].to_pylist()) - named, key=int)[:OTHER_ENTITIES]
    keep = named | set(others)
    folder = tmp_path_factory.mktemp("sdn_small")
    for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"):
        keep_rows_of(SDN_DIR / name, folder / name, keep)
    assert len(named) >= 10
    return folder / "sdn.csv"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, small_sdn: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("review_inputs")
    sample = pd.read_csv(SAMPLE_TRADES, dtype=str, keep_default_na=False)
    sample.iloc[:3000].to_csv(folder / "week1.csv", index=False)
    sample.iloc[3000:].to_csv(folder / "week2.csv", index=False)
    config = folder / "config.yml"
    config.write_text(yaml.safe_dump({"list_files": [str(small_sdn)]}), encoding="utf-8")
    return {"week1": folder / "week1.csv", "week2": folder / "week2.csv", "config": config}


def _run(inputs: dict[str, Path], files: list[str], out: Path, db: str, **options) -> dict:
    screen_trade(
        trade_files=[str(inputs[f]) for f in files],
        out_dir=str(out),
        config_file=str(inputs["config"]),
        db=db,
        **options,
    )
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _read_flagged(out: Path) -> list[dict[str, str]]:
    with open(out / "flagged.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_flagged(rows: list[dict[str, str]], path: Path) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _records_on(screened_path: Path, party: str, source_id: str) -> int:
    """Records of a run where either party is ``party`` (normalised) matching ``source_id``."""
    table = pq.read_table(screened_path)
    count = 0
    for role in ("exporter", "importer"):
        for name, sid in zip(
            table[role].to_pylist(), table[f"{role}_match_source_id"].to_pylist(), strict=True
        ):
            count += sid == source_id and party_key(name) == party
    return count


def test_clear_rerun_and_only_new(store_url: str, inputs: dict[str, Path], tmp_path: Path) -> None:
    first = _run(inputs, ["week1"], tmp_path / "run1", store_url)
    assert first["counts"]["rows_screened"] == 3000
    assert first["review"]["decisions_known"] == 0

    # the analyst clears the importer match on the most records and confirms another match
    rows = _read_flagged(tmp_path / "run1")
    party_rows = [
        r
        for r in rows
        if r.get("importer_match_source_id") and not r.get("exporter_match_source_id")
    ]
    party_rows.sort(key=lambda r: -int(r.get("record_count") or 1))
    cleared, confirmed = party_rows[0], party_rows[1]
    cleared["analyst_decision"], cleared["analyst_note"] = "False positive", "namesake"
    confirmed["analyst_decision"] = "confirmed"
    reviewed = _write_flagged(rows, tmp_path / "reviewed.csv")
    result = CliRunner().invoke(
        cli, ["review", "apply", str(reviewed), "--analyst", "ana", "--db", store_url]
    )
    assert result.exit_code == 0, result.output
    assert "2 decisions stored (cleared 1, confirmed 1)" in result.output
    listed = CliRunner().invoke(cli, ["review", "list", "--db", store_url])
    assert "cleared" in listed.output and "namesake" in listed.output

    party = party_key(cleared["importer"].split("; ")[0])
    expected = _records_on(
        tmp_path / "run1" / "screened.parquet", party, cleared["importer_match_source_id"]
    )
    assert expected >= 1

    # the same input again: the cleared match is off its records, the confirmed one is shown
    second = _run(inputs, ["week1"], tmp_path / "run2", store_url)
    counts, review = second["counts"], second["review"]
    assert counts["suppressed_by_decision"] == review["suppressed_by_decision"] == expected
    assert (
        _records_on(
            tmp_path / "run2" / "screened.parquet", party, cleared["importer_match_source_id"]
        )
        == 0
    )
    assert (
        counts["rows_flagged"] == first["counts"]["rows_flagged"] - review["unflagged_by_decision"]
    )
    screened = pq.read_table(tmp_path / "run2" / "screened.parquet")
    suppressed = screened.filter(pc.is_valid(screened["suppressed_by_decision"]))
    assert suppressed.num_rows == expected
    assert all("cleared by ana" in s for s in suppressed["suppressed_by_decision"].to_pylist())
    again = _read_flagged(tmp_path / "run2")
    shown = [r for r in again if r.get("previous_decision") == "confirmed"]
    assert shown and all(r["decided_by"] == "ana" and r["decided_at"] for r in shown)
    assert review["flagged_with_confirmed_decision"] == sum(
        int(r.get("record_count") or 1) for r in shown
    )

    # --only-new: week1 was seen twice already, week2 is new
    third = _run(inputs, ["week1", "week2"], tmp_path / "run3", store_url, only_new=True)
    assert third["counts"]["rows_in"] == 5000
    assert third["counts"]["rows_skipped_seen"] == third["review"]["rows_skipped_seen"] == 3000
    assert third["counts"]["rows_screened"] == 2000
    assert third["review"]["files"]["week1.csv"] == {
        "rows_read": 3000,
        "rows_screened": 0,
        "rows_skipped_seen": 3000,
    }
    assert set(
        pq.read_table(tmp_path / "run3" / "screened.parquet")["source_file"].to_pylist()
    ) == {"week2.csv"}
    fourth = _run(inputs, ["week1", "week2"], tmp_path / "run4", store_url, only_new=True)
    assert (fourth["counts"]["rows_screened"], fourth["counts"]["rows_skipped_seen"]) == (0, 5000)
