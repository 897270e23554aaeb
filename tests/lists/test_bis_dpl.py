"""US BIS Denied Persons List (tab-separated): the real 2019 file and broken files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.bis_dpl import COLUMNS, looks_like_bis_dpl, parse_bis_dpl
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

DPL = ("sanctions", "us_bis", "dpl_2019.txt")


@pytest.fixture(scope="module")
def dpl() -> pd.DataFrame:
    table = parse_bis_dpl(shared_path(*DPL))
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


@pytest.mark.shared
def test_546_denial_orders(dpl: pd.DataFrame) -> None:
    primary = dpl[dpl["name_kind"] == "primary"]
    assert len(primary) == 546  # SOURCES.md
    assert primary["source_id"].is_unique
    assert set(dpl["list_source"]) == {"us_bis_dpl"}
    assert dpl["entity_type"].isna().all()  # the DPL does not say person or company
    # one row is in the file twice, word for word: it keeps both, numbered
    assert primary.loc[primary["name"] == "DAQING ZHOU", "source_id"].str.len().tolist() == [12, 14]
    assert set(dpl["list_version"]) == {"2019-06-12"}  # not the typo year 3017
    assert primary["listed_on"].notna().all()
    assert primary["listed_on"].max() == dt.date(2019, 6, 5)


@pytest.mark.shared
def test_inline_aliases_become_alias_rows(dpl: pd.DataFrame) -> None:
    aliases = dpl[dpl["name_kind"] == "alias"]
    assert sorted(aliases["name"]) == ["FRANK SUN", "NEI-CHIEN CHU"]
    pearl = dpl[dpl["source_id"].isin(aliases["source_id"])]
    assert set(pearl["name"]) == {"FUYI SUN", "FRANK SUN", "PEARL LI", "NEI-CHIEN CHU"}
    assert (
        pearl["remarks"]
        .str.contains("Listed as: PEARL (A.K.A. NEI-CHIEN CHU) LI", regex=False)
        .any()
    )


@pytest.mark.shared
def test_addresses_and_countries(dpl: pd.DataFrame) -> None:
    primary = dpl[dpl["name_kind"] == "primary"]
    first = primary[primary["name"] == "ADRIAN MANUEL HERNANDEZ"].iloc[0]
    assert list(first["addresses"]) == ["3037 S. 69TH DRIVE, PHONEIX, AZ, 85043"]
    assert list(first["countries"]) == []  # the row leaves Country blank: not guessed
    counts = primary["countries"].explode().value_counts()
    assert counts[["US", "AE", "CN"]].tolist() == [239, 31, 14]
    assert primary["countries"].map(len).eq(0).sum() == 114


@pytest.mark.shared
def test_detected_by_the_registry() -> None:
    path = shared_path(*DPL)
    assert looks_like_bis_dpl(path)
    assert detect_list_format(path) == "us_bis_dpl_txt"


def _write(tmp_path: Path, *rows: list[str]) -> Path:
    path = tmp_path / "dpl.txt"
    lines = ["\t".join(f'"{c}"' for c in COLUMNS)]
    lines += ["\t".join(f'"{c}"' for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROW = ["ACME TRADING LLC", "1 MAIN ST", "DUBAI", "", "AE", "", "06/05/2019", "12/03/2019",
       "Y", "2019-06-12", "FR NOTICE ADDED", "84 F.R. 27233 6/12/2019"]  # fmt: skip


def test_wrong_column_count_names_row(tmp_path: Path) -> None:
    path = _write(tmp_path, ROW, ROW[:5])
    with pytest.raises(ListParseError, match=r"dpl\.txt, row 3, column 'Postal_Code'"):
        parse_bis_dpl(path)


def test_bad_date_and_blank_name(tmp_path: Path) -> None:
    with pytest.raises(ListParseError, match=r"row 2, column 'Effective_Date'"):
        parse_bis_dpl(_write(tmp_path, [*ROW[:6], "2019-06-05", *ROW[7:]]))
    with pytest.raises(ListParseError, match=r"row 2, column 'Name': entry without a name"):
        parse_bis_dpl(_write(tmp_path, ["", *ROW[1:]]))


def test_other_text_files_are_not_the_dpl(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Name\tAddress\nA\tB\n", encoding="utf-8")
    assert not looks_like_bis_dpl(path)
