"""Reading analysts' decisions back from a flagged CSV or XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from screening.review.carry import party_key
from screening.review.decisions import ReviewFileError, canonical_decision, read_review_file

HEADER = [
    "analyst_decision",
    "analyst_note",
    "risk_level",
    "record_id",
    "record_ids",
    "exporter",
    "exporter_match_list_source",
    "exporter_match_source_id",
    "exporter_match_score",
    "importer",
    "importer_match_list_source",
    "importer_match_source_id",
    "importer_match_score",
    "importer_match_entry_hash",
    "importer_match_list_version",
]


def _row(decision: str, importer: str = "PARS TILE CO", source_id: str = "30392", **more):
    row = dict.fromkeys(HEADER, "")
    row.update(
        analyst_decision=decision,
        risk_level="medium",
        record_id="a.xlsx:7",
        exporter="ACME GMBH",
        importer=importer,
        importer_match_list_source="us_ofac_sdn",
        importer_match_source_id=source_id,
        importer_match_score="91.5",
        importer_match_entry_hash="ab" * 32,
        importer_match_list_version="2023-12-28",
    )
    row.update(more)
    return row


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("cleared", "cleared"),
        ("False positive", "cleared"),
        ("false_positive", "cleared"),
        (" FP ", "cleared"),
        ("not a match", "cleared"),
        ("Confirmed", "confirmed"),
        ("true-positive", "confirmed"),
        ("TP", "confirmed"),
        ("escalate", "escalated"),
        ("Escalated", "escalated"),
        ("", None),
        ("   ", None),
    ],
)
def test_common_spellings_are_accepted(typed: str, stored: str | None) -> None:
    assert canonical_decision(typed) == stored


def test_a_decided_row_becomes_a_decision_per_party_match(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "flagged.csv",
        [
            _row("False positive", analyst_note="tile maker in Iran, not the listed firm"),
            _row("", importer="OTHER LLC", source_id="1"),
            _row(
                "confirmed",
                importer="7707083893 OOO ROMASHKA",
                source_id="555",
                exporter="AO ZAVOD",
                exporter_match_list_source="us_ofac_sdn",
                exporter_match_source_id="777.0",
                exporter_match_score="100",
            ),
            _row("escalated", importer="", importer_match_list_source="", record_id="b:3"),
        ],
    )
    imported = read_review_file(path, analyst="ana")
    assert (imported.rows_read, imported.rows_decided) == (4, 3)
    assert imported.rows_without_party_match == [5]  # row 5 of the file: a goods-only flag
    first, *confirmed = imported.decisions
    assert (first.decision, first.party, first.source_id, first.score) == (
        "cleared",
        "pars tile",
        "30392",
        91.5,
    )
    assert first.note == "tile maker in Iran, not the listed firm"
    assert first.entry_hash == "ab" * 32 and first.list_version == "2023-12-28"
    assert first.analyst == "ana" and first.source == "flagged.csv:2"
    assert sorted((d.party_name, d.party, d.source_id) for d in confirmed) == [
        ("7707083893 OOO ROMASHKA", "romashka", "555"),  # INN and legal form set aside
        ("AO ZAVOD", party_key("AO ZAVOD"), "777"),  # 777.0 as a spreadsheet wrote it
    ]
    assert {d.party_identifiers for d in confirmed} == {"INN:7707083893", ""}


def test_an_unknown_decision_names_file_row_and_column(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "flagged.csv", [_row("cleared"), _row("clearred")])
    with pytest.raises(ReviewFileError) as error:
        read_review_file(path)
    message = str(error.value)
    assert "flagged.csv, row 3, column 'analyst_decision'" in message
    assert "'clearred'" in message


def test_one_match_decided_two_ways_in_one_file_is_refused(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "flagged.csv", [_row("cleared"), _row("cleared"), _row("tp")])
    with pytest.raises(ReviewFileError, match=r"flagged\.csv:2 and flagged\.csv:4"):
        read_review_file(path)
    same = _write_csv(tmp_path / "same.csv", [_row("cleared")] * 21)  # 21 rows of one shipment
    assert len(read_review_file(same).decisions) == 1


def test_a_file_without_the_review_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("exporter,importer\nA,B\n", encoding="utf-8")
    with pytest.raises(ReviewFileError, match="no 'analyst_decision' column"):
        read_review_file(path)


def test_formula_escaped_names_are_read_as_written(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "flagged.csv", [_row("cleared", importer="'=ROMASHKA+1")])
    [decision] = read_review_file(path).decisions
    assert decision.party_name == "=ROMASHKA+1"


def test_xlsx_flagged_sheet_is_read(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "by party"
    sheet = book.create_sheet("flagged")
    sheet.append(HEADER)
    row = _row("Cleared", importer_match_source_id=None)
    row["importer_match_source_id"] = 30392  # a number cell, as Excel keeps ids
    row["importer_match_score"] = 91.5
    sheet.append([row[h] for h in HEADER])
    sheet.append([None] * len(HEADER))  # blank rows are skipped
    sheet.append([_row("wrong")[h] for h in HEADER])
    book.save(tmp_path / "flagged.xlsx")
    with pytest.raises(ReviewFileError, match=r"row 4, column 'analyst_decision'"):
        read_review_file(tmp_path / "flagged.xlsx")
    sheet.delete_rows(4)
    book.save(tmp_path / "flagged.xlsx")
    [decision] = read_review_file(tmp_path / "flagged.xlsx").decisions
    assert (decision.decision, decision.source_id, decision.score) == ("cleared", "30392", 91.5)


def test_a_grouped_case_stores_one_decision_per_party(tmp_path: Path) -> None:
    """A case row lists every spelling of its party and every record id."""
    path = _write_csv(
        tmp_path / "flagged.csv",
        [_row("fp", importer="ALI SALIM; ALİ SALİM", record_id="", record_ids="a:2; a:3")],
    )
    [decision] = read_review_file(path).decisions
    assert (decision.party, decision.party_name, decision.record_id) == (
        "ali salim",
        "ALI SALIM",
        "a:2; a:3",
    )


def test_the_command_line_stops_on_a_bad_value_and_stores_nothing(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    path = _write_csv(tmp_path / "flagged.csv", [_row("cleared"), _row("maybe later")])
    db = f"sqlite:///{tmp_path / 'review.sqlite'}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "screening", "review"]
    bad = subprocess.run(
        [*command, "apply", str(path), "--db", db], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        f"error: {path}, row 3, column 'analyst_decision': unknown decision 'maybe later'; "
        "use cleared, confirmed or escalated"
    )
    listed = subprocess.run([*command, "list", "--db", db], capture_output=True, text=True, env=env)
    assert listed.returncode == 0 and listed.stdout.strip() == "no decisions stored"
