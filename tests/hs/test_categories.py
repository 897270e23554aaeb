"""Category files: the bundled CHPL file, user files at any prefix level, and bad rows named."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from screening import paths
from screening.errors import ListParseError, ReferenceDataError
from screening.hs import (
    CATEGORY_COLUMNS,
    CATEGORY_SCHEMA,
    CHPL_TIERS,
    load_categories,
    load_chpl,
    read_category_file,
)
from screening.hs.build_categories import chpl_category_path, main, render_chpl_categories

HEADER = [*CATEGORY_COLUMNS, "hs_edition"]


def write_categories(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    """A category CSV; cells not given are empty."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def row(code_prefix: str, **cells: str) -> dict[str, str]:
    return {"code_prefix": code_prefix, "category": "TEST", "source": "unit test", **cells}


def test_bundled_categories_are_the_chpl_in_the_generic_layout() -> None:
    table = load_categories()
    assert table.schema == CATEGORY_SCHEMA
    assert table.num_rows == 50
    assert set(table["category"].to_pylist()) == {"CHPL"}
    assert set(table["hs_edition"].to_pylist()) == {"2022"}
    assert set(table["tier"].to_pylist()) == set(CHPL_TIERS)
    assert table["valid_from"].null_count == table["valid_to"].null_count == 50
    chpl = load_chpl()
    assert table["code_prefix"].to_pylist() == chpl["hs6"].to_pylist()
    assert table["tier"].to_pylist() == chpl["tier"].to_pylist()
    assert load_categories() is table  # parsed once per process


def test_committed_chpl_category_file_is_current() -> None:
    committed = chpl_category_path().read_text(encoding="utf-8")
    assert committed == render_chpl_categories(), (
        "reference_lists/categories/chpl.csv is stale: run python -m screening.hs.build_categories"
    )
    assert main(["--check"]) == 0


def test_build_check_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "reference_lists"
    shutil.copytree(paths.REFERENCE_DIR, copy)
    monkeypatch.setattr(paths, "REFERENCE_DIR", copy)
    target = copy / "categories" / "chpl.csv"
    target.write_text(target.read_text(encoding="utf-8").replace(",3.A,", ",3A,"), "utf-8")
    assert main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert main([]) == 0
    assert target.read_text(encoding="utf-8") == render_chpl_categories()


def test_changed_bundled_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "reference_lists"
    shutil.copytree(paths.REFERENCE_DIR, copy)
    monkeypatch.setattr(paths, "REFERENCE_DIR", copy)
    with (copy / "categories" / "chpl.csv").open("a", encoding="utf-8") as handle:
        handle.write("9301,CHPL,1,arms,made up,,,2022\n")
    with pytest.raises(ReferenceDataError, match=r"chpl\.csv: sha256"):
        load_categories()


def test_user_file_at_every_prefix_level(tmp_path: Path) -> None:
    path = write_categories(
        tmp_path / "annex.csv",
        [
            row("93", tier="", description="Arms"),
            row("8542", tier="A"),
            row("8542.31", tier="B"),
            row("8542 31 90", tier="C"),
            row("8542319010", tier="D", valid_from="2024-06-24", valid_to="2025-12-31"),
        ],
        header=[*CATEGORY_COLUMNS, "note"],  # no hs_edition column; extra column ignored
    )
    table = read_category_file(path)
    assert table.schema == CATEGORY_SCHEMA
    assert table["code_prefix"].to_pylist() == ["93", "8542", "854231", "85423190", "8542319010"]
    assert table["tier"].to_pylist() == [None, "A", "B", "C", "D"]
    assert table["hs_edition"].to_pylist() == ["2022"] * 5
    assert table["source_row"].to_pylist() == [2, 3, 4, 5, 6]
    assert str(table["valid_from"][4]) == "2024-06-24"


def test_several_files_and_folders_load_in_order(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_categories(tmp_path / "a" / "one.csv", [row("8542")])
    write_categories(tmp_path / "b" / "x.csv", [row("9301", category="ARMS")])
    write_categories(tmp_path / "b" / "y.csv", [row("8803", category="AIR")])
    table = load_categories([first, tmp_path / "b"])
    assert table["category"].to_pylist() == ["TEST", "ARMS", "AIR"]
    assert [Path(p).name for p in table["source_file"].to_pylist()] == ["one.csv", "x.csv", "y.csv"]


BAD_ROWS = [
    (row("8542-31"), "code_prefix", "not an HS code prefix"),
    (row("85423"), "code_prefix", "lost leading zero"),
    (row("854231900012"), "code_prefix", "12 digits"),
    (row("8542", category=""), "category", "required"),
    (row("8542", source=""), "source", "required"),
    (row("8542", valid_from="24.06.2024"), "valid_from", "YYYY-MM-DD"),
    (row("8542", valid_from="2024-02-30"), "valid_from", "YYYY-MM-DD"),
    (row("8542", valid_from="2025-01-01", valid_to="2024-01-01"), "valid_to", "before"),
    (row("8542", hs_edition="2012"), "hs_edition", "unknown HS edition"),
    (row("8542"), "code_prefix", "already listed"),  # the good row below lists 8542 too
]


@pytest.mark.parametrize(("bad", "column", "message"), BAD_ROWS)
def test_bad_rows_are_named_by_file_row_and_column(
    tmp_path: Path, bad: dict[str, str], column: str, message: str
) -> None:
    path = write_categories(tmp_path / "bad.csv", [row("8542", tier="1"), row("9301"), bad])
    with pytest.raises(ListParseError, match=message) as caught:
        load_categories([path])
    assert (caught.value.file, caught.value.row, caught.value.column) == (path, 4, column)


def test_same_prefix_over_separate_periods_is_allowed_and_overlap_across_files_named(
    tmp_path: Path,
) -> None:
    first = write_categories(
        tmp_path / "v1.csv",
        [
            row("8542", tier="2", valid_to="2023-12-31"),
            row("8542", tier="1", valid_from="2024-01-01"),
        ],
    )
    assert load_categories([first]).num_rows == 2
    second = write_categories(tmp_path / "v2.csv", [row("8542", tier="1", valid_from="2024-06-01")])
    with pytest.raises(ListParseError, match=r"already listed.*row 3 of .*v1\.csv") as caught:
        load_categories([first, second])
    assert caught.value.row == 2


def test_file_level_problems_are_named(tmp_path: Path) -> None:
    with pytest.raises(ListParseError, match="file not found"):
        load_categories([tmp_path / "absent.csv"])
    missing = tmp_path / "missing.csv"
    missing.write_text("code_prefix,category,tier,description,source\n8542,T,1,d,s\n", "utf-8")
    with pytest.raises(ListParseError, match="missing column") as caught:
        load_categories([missing])
    assert (caught.value.row, caught.value.column) == (1, "valid_from")
    ragged = write_categories(tmp_path / "ragged.csv", [row("8542")])
    with ragged.open("a", encoding="utf-8") as handle:
        handle.write("9301,T,1,d,s,,,2022,extra\n")
    with pytest.raises(ListParseError, match="9 fields") as caught:
        load_categories([ragged])
    assert caught.value.row == 3
    empty = write_categories(tmp_path / "empty.csv", [])
    with pytest.raises(ListParseError, match="no rows"):
        load_categories([empty])
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        b"code_prefix,category,tier,description,source,valid_from,valid_to\n"
        b"8542,T,1,Ger\xe4te,s,,\n"
    )
    with pytest.raises(ListParseError, match="not UTF-8"):
        load_categories([latin])
    (tmp_path / "nothing").mkdir()
    with pytest.raises(ListParseError, match=r"no \*\.csv"):
        load_categories([tmp_path / "nothing"])


def test_utf8_bom_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(
        "\ufeff" + ",".join(CATEGORY_COLUMNS) + "\n8542,T,1,d,s,,\n\n,,,,,,\n9301,T,2,e,s,,\n",
        encoding="utf-8",
    )
    table = load_categories([path])
    assert table["code_prefix"].to_pylist() == ["8542", "9301"]
    assert table["source_row"].to_pylist() == [2, 5]
    assert table.column("tier").type == pa.string()
