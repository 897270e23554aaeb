"""The `dualuse` commands that need no Prefect server, on the real bundled files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from click.testing import CliRunner

from screening.cli import cli
from screening.paths import REFERENCE_DIR

SDN_SET = REFERENCE_DIR / "us_ofac_sdn" / "2023-12-28"


def test_lists_parse_bundled_sdn_set(tmp_path: Path) -> None:
    out = tmp_path / "sdn.parquet"
    result = CliRunner().invoke(cli, ["lists", "parse", str(SDN_SET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "us_ofac_sdn: 13821 entities" in result.output
    table = pq.read_table(out).to_pandas()
    assert table.loc[table.name_kind == "primary", "source_id"].nunique() == 13_821
    assert (table.name_kind.isin(["alias", "former"])).sum() == 17_091  # every alt.csv alias
    assert (table.name_kind == "weak_alias").sum() > 0  # a.k.a.s found in remarks


def test_lists_parse_unsupported_file_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just some text\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["lists", "parse", str(bad), "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "notes.txt" in str(result.exception) + result.output


def test_match_names_writes_one_row_per_hit(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    pd.DataFrame(
        {
            "party": [
                "PAO SILOVYE MASHINY",
                "FOSHAN MAGIC BUILDING MATERIALS CO LTD",
                "AO PKK MILANDR",
            ]
        }
    ).to_csv(names, index=False)
    out = tmp_path / "hits.csv"
    result = CliRunner().invoke(
        cli, ["match-names", str(names), "--column", "party", "--out", str(out), "--top", "2"]
    )
    assert result.exit_code == 0, result.output
    hits = pd.read_csv(out, encoding="utf-8-sig")
    assert list(hits.columns) == [
        "query",
        "rank",
        "score",
        "list_source",
        "source_id",
        "matched_name",
        "explanation",
    ]
    assert set(hits["query"]) == {"PAO SILOVYE MASHINY", "AO PKK MILANDR"}
    assert hits.groupby("query")["rank"].max().max() <= 2


def test_compare_prints_score_and_explanation() -> None:
    result = CliRunner().invoke(cli, ["compare", "ООО «ЯТАШ РУС»", "YATASH RUS LLC"])
    assert result.exit_code == 0
    assert result.output.startswith("score 100.0")
    assert "matched words" in result.output


def test_compare_pairs_keeps_the_files_own_label_column(tmp_path: Path) -> None:
    """A labelled pair file (its own is_match, as public benchmarks have) keeps its labels."""
    pairs = tmp_path / "labelled.csv"
    pd.DataFrame(
        {
            "name1": ["Siemens AG", "Deutsche Bank AG"],
            "name2": ["SiemensAG", "Deutsche Bank GmbH"],
            "is_match": ["true", "false"],
        }
    ).to_csv(pairs, index=False)
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(cli, ["compare", "--pairs", str(pairs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, encoding="utf-8-sig")
    assert scored["is_match_input"].tolist() == [True, False]
    assert scored["is_match"].tolist() == [True, False]


def test_compare_pairs_file_adds_score_and_is_match(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame(
        {
            "name1": ["OOO YATASS MEBEL RUS", "ABC TRADING CO LTD", "ООО «ЯТАШ РУС»", ""],
            "name2": ["YATASH MEBEL RUS, LLC", "XYZ TRADING CO LTD", "YATASH RUS LLC", "ACME"],
        }
    ).to_csv(pairs, index=False)
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(cli, ["compare", "--pairs", str(pairs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, encoding="utf-8-sig")
    # a slip in a two-word name (YATASS) would need a corroborating country to flag in a
    # screening run; comparing the two given names, it is the same company
    assert scored["is_match"].tolist() == [True, False, True, False]
    assert "needs corroboration when screening" in scored["explanation"][0]
    assert (scored["score"] >= 0).all() and (scored["score"] <= 100).all()
