"""Entity-level list diffs: on the real 2023-12-28 and 2024-05-03 SDN publications, and on small
hand-built entries whose every kind of change is spelt out."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click
import pyarrow as pa
import pytest
from click.testing import CliRunner

from screening.io.writers import write_csv_atomic
from screening.lists import parse_list_files
from screening.lists.store.diff import DIFF_SCHEMA, diff_counts, diff_lists
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path
from tests.lists.list_server import make_newer_sdn_set, sdn_ent_nums


def entry(source_id: str, name: str, kind: str = "primary", **fields: Any) -> dict[str, Any]:
    """One LIST_ENTRY_SCHEMA row of a fictitious-but-typical Russian trading company."""
    row: dict[str, Any] = {
        "list_source": "us_ofac_sdn",
        "source_id": source_id,
        "entity_type": "entity",
        "name": name,
        "name_kind": kind,
        "programs": ["RUSSIA-EO14024"],
        "countries": ["RU"],
        "addresses": ["Moscow, Russia"],
        "identifiers": [{"scheme": "INN", "value": "7701234567"}],
        "related": [],
        "remarks": None,
        "listed_on": None,
        "list_version": "2024-05-03",
    }
    row.update(fields)
    return row


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=LIST_ENTRY_SCHEMA)


OLD = [
    entry("100", "OOO TEKHNOPROM"),
    entry("100", "TECHNOPROM LLC", "alias"),
    entry("200", "AO RADIOTEKH", programs=["RUSSIA-EO14024"]),
    entry("300", "OOO MIKROSKHEMA", identifiers=[]),
    entry("400", "OOO STANKOIMPORT"),
    entry("500", "IVANOV, Petr", entity_type="individual", identifiers=[]),
]
NEW = [
    entry("100", "OOO TEKHNOPROM"),
    entry("100", "TEKHNOPROM OOO", "alias"),
    entry("200", "AO RADIOTEKH", programs=["RUSSIA-EO14024", "UKRAINE-EO13662"], countries=[]),
    entry("300", "OOO MIKROSKHEMA", identifiers=[{"scheme": "INN", "value": "7709876543"}]),
    entry("500", "IVANOV, Petr Sergeevich", entity_type="individual", identifiers=[]),
    entry("600", "OOO KOMPONENT TREID"),
    entry("600", "KOMPONENT TRADE LLC", "alias"),
]


@pytest.fixture(scope="module")
def small_diff() -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in diff_lists(table(OLD), table(NEW)).to_pylist()}


def test_each_kind_of_change_is_named(small_diff: dict[str, dict[str, Any]]) -> None:
    expected = {
        # source_id: (change, fields_changed, readable changes)
        "100": (
            "changed",
            ["aliases"],
            "aliases added: TEKHNOPROM OOO; aliases removed: TECHNOPROM LLC",
        ),
        "200": (
            "changed",
            ["programs", "countries"],
            "programs added: UKRAINE-EO13662; countries removed: RU",
        ),
        "300": ("changed", ["identifiers"], "identifiers added: INN:7709876543"),
        "400": ("removed", [], "removed: OOO STANKOIMPORT"),
        "500": (
            "changed",
            ["primary name"],
            "primary name: IVANOV, Petr → IVANOV, Petr Sergeevich",
        ),
        "600": (
            "added",
            [],
            "added: OOO KOMPONENT TREID; programs: RUSSIA-EO14024; countries: RU; "
            "identifiers: INN:7701234567",
        ),
    }
    assert set(small_diff) == set(expected)  # an unchanged entity is not listed
    for source_id, (change, fields, text) in expected.items():
        row = small_diff[source_id]
        assert (row["change"], row["fields_changed"], row["changes"]) == (change, fields, text)


def test_names_added_feed_delta_rescreening(small_diff: dict[str, dict[str, Any]]) -> None:
    assert small_diff["600"]["names_added"] == ["KOMPONENT TRADE LLC", "OOO KOMPONENT TREID"]
    assert small_diff["100"]["names_added"] == ["TEKHNOPROM OOO"]
    assert small_diff["100"]["names_removed"] == ["TECHNOPROM LLC"]
    assert small_diff["500"]["names_added"] == ["IVANOV, Petr Sergeevich"]
    assert small_diff["200"]["names_added"] == []
    assert small_diff["400"]["names_added"] == []
    assert small_diff["400"]["name"] == "OOO STANKOIMPORT"  # a removed entity keeps its name


def test_identical_lists_give_an_empty_diff() -> None:
    same = diff_lists(table(OLD), table(OLD))
    assert same.num_rows == 0
    assert same.schema == DIFF_SCHEMA
    assert diff_counts(same) == {"added": 0, "changed": 0, "removed": 0}


def test_diff_csv_is_spreadsheet_safe(tmp_path: Path) -> None:
    risky = table([entry("700", '=HYPERLINK("http://x")'), entry("700", "@RISK LLC", "alias")])
    out = write_csv_atomic(diff_lists(table([]), risky), tmp_path / "diff.csv")
    with open(out, encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["name"].startswith("'=")
    assert row["names_added"] == '\'=HYPERLINK("http://x"); @RISK LLC'  # sorted, cell start
    assert row["changes"].startswith("added: =HYPERLINK")


@pytest.fixture(scope="module")
def sdn_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    old = shared_path("sanctions", "us_ofac", "sdn_set_2023-12-28")
    shared_path("sanctions", "us_ofac", "partial_2026-06", "alt.csv")
    newer = make_newer_sdn_set(shared_path("sanctions"), tmp_path_factory.mktemp("sdn_v2"))
    return old, newer["sdn.csv"].parent


@pytest.fixture(scope="module")
def real_diff(sdn_versions: tuple[Path, Path]) -> pa.Table:
    old, new = sdn_versions
    return diff_lists(parse_list_files([old]), parse_list_files([new]))


def test_real_sdn_diff_matches_the_ent_num_sets(
    real_diff: pa.Table, sdn_versions: tuple[Path, Path]
) -> None:
    old_ids = sdn_ent_nums(sdn_versions[0] / "sdn.csv")
    new_ids = sdn_ent_nums(sdn_versions[1] / "sdn.csv")
    rows = real_diff.to_pylist()
    added = {r["source_id"] for r in rows if r["change"] == "added"}
    removed = {r["source_id"] for r in rows if r["change"] == "removed"}
    assert added == new_ids - old_ids and len(added) == 1_256
    assert removed == old_ids - new_ids and len(removed) == 112
    changed = [r for r in rows if r["change"] == "changed"]
    assert {r["source_id"] for r in changed} <= old_ids & new_ids
    assert all(r["fields_changed"] and r["changes"] for r in changed)


def test_real_sdn_diff_names_what_changed(real_diff: pa.Table) -> None:
    rows = {r["source_id"]: r for r in real_diff.to_pylist()}
    sovcomflot = rows["34741"]  # designated on 2024-02-23
    assert sovcomflot["change"] == "added"
    assert sovcomflot["name"] == "JOINT STOCK COMPANY SOVCOMFLOT"
    assert {"JOINT STOCK COMPANY SOVCOMFLOT", "PAO SOVCOMFLOT"} <= set(sovcomflot["names_added"])
    assert "RUSSIA-EO14024" in sovcomflot["programs_added"]
    assert any(i.startswith("INN:") for i in sovcomflot["identifiers_added"])
    delisted = rows["45735"]
    assert (delisted["change"], delisted["name"]) == ("removed", "SM DISTRIBUTION INC FZCO")
    assert delisted["names_added"] == []
    # added rows first, in numeric order of ent_num
    first_added = [r["source_id"] for r in real_diff.slice(0, 5).to_pylist()]
    assert first_added == sorted(first_added, key=int)


def test_cli_diff_compares_two_folders(sdn_versions: tuple[Path, Path], tmp_path: Path) -> None:
    from screening.cli_lists import register

    group = click.Group("lists")
    register(group)
    out = tmp_path / "changes.csv"
    old, new = sdn_versions
    result = CliRunner().invoke(group, ["diff", str(old), str(new), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "us_ofac_sdn added: 1256" in result.output
    assert "us_ofac_sdn removed: 112" in result.output
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(r["change"] == "added" for r in rows) == 1_256
    assert list(rows[0]) == DIFF_SCHEMA.names
