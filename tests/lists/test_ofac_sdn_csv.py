"""OFAC legacy CSV set: real 2023-12-28 publication, plus small malformed files."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from screening.errors import ListParseError
from screening.lists import parse_ofac_sdn_csv
from screening.lists.parsers.ofac_sdn_csv import ALT_COLUMNS, read_ofac_csv
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

SDN_SET = ("sanctions", "us_ofac", "sdn_set_2023-12-28")


@pytest.fixture(scope="module")
def sdn_folder() -> Path:
    return shared_path(*SDN_SET)


@pytest.fixture(scope="module")
def sdn(sdn_folder: Path) -> pd.DataFrame:
    table = parse_ofac_sdn_csv(sdn_folder)
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


def _raw(folder: Path, name: str) -> pd.DataFrame:
    """Independent read of a set file, for cross-checking counts."""
    return pd.read_csv(
        folder / name, header=None, dtype=str, keep_default_na=False, encoding="utf-8"
    ).iloc[:-1]  # the last "row" is the 0x1A end-of-file byte


def _party(sdn: pd.DataFrame, ent_num: str) -> pd.DataFrame:
    return sdn[sdn["source_id"] == ent_num]


def _primary(sdn: pd.DataFrame, ent_num: str) -> pd.Series:
    rows = _party(sdn, ent_num)
    return rows[rows["name_kind"] == "primary"].iloc[0]


@pytest.mark.shared
def test_one_primary_row_per_sdn_entry(sdn: pd.DataFrame, sdn_folder: Path) -> None:
    raw = _raw(sdn_folder, "sdn.csv")
    primary = sdn[sdn["name_kind"] == "primary"]
    assert len(primary) == len(raw) == 13_821  # SOURCES.md: 13,821 rows
    assert set(primary["source_id"]) == set(raw[0])
    assert primary["source_id"].is_unique
    assert (sdn["list_source"] == "us_ofac_sdn").all()


@pytest.mark.shared
def test_every_alt_csv_alias_is_a_row(sdn: pd.DataFrame, sdn_folder: Path) -> None:
    alt = _raw(sdn_folder, "alt.csv")
    expected = alt[2].map({"aka": "alias", "fka": "former", "nka": "alias"})
    listed = sdn[sdn["name_kind"].isin(["alias", "former"])]
    assert len(listed) == len(alt) == 17_091
    got = listed.groupby("name_kind").size().to_dict()
    assert got == expected.value_counts().to_dict()
    pairs = set(zip(listed["source_id"], listed["name"], strict=True))
    assert set(zip(alt[0], alt[3], strict=True)) == pairs


@pytest.mark.shared
def test_remark_aliases_are_weak_and_joined_across_the_comments_file(
    sdn: pd.DataFrame,
) -> None:
    bnc = _party(sdn, "306")
    assert bnc.loc[bnc["name"] == "BNC", "name_kind"].tolist() == ["weak_alias"]
    lazarus = _party(sdn, "27307")
    weak = lazarus.loc[lazarus["name_kind"] == "weak_alias", "name"].tolist()
    # sdn.csv cuts this alias at "WHOIS HACKIN"; sdn_comments.csv carries "G TEAM'; ..."
    assert "WHOIS HACKING TEAM" in weak
    assert "APPLEWORM" in weak  # only in sdn_comments.csv
    weak_total = (sdn["name_kind"] == "weak_alias").sum()
    remark_akas = sdn.loc[sdn["name_kind"] == "primary", "remarks"].str.count(r"[afn]\.k\.a\.")
    assert weak_total == remark_akas.sum()


@pytest.mark.shared
def test_russian_entity_identifiers_from_remarks(sdn: pd.DataFrame) -> None:
    rosoboron = _primary(sdn, "18782")
    assert rosoboron["name"] == "ROSOBORONEKSPORT OAO"
    assert "Tax ID No. 7718852163 (Russia)" in rosoboron["remarks"]
    ids = {(i["scheme"], i["value"]) for i in rosoboron["identifiers"]}
    assert ("INN", "7718852163") in ids
    assert ("OGRN", "1117746521452") in ids  # "Registration ID 1117746521452 (Russia)"
    assert list(rosoboron["programs"]) == [
        "SYRIA",
        "UKRAINE-EO13662",
        "IRAN-CON-ARMS-EO",
        "RUSSIA-EO14024",
    ]
    assert "RU" in rosoboron["countries"]


@pytest.mark.shared
def test_identifiers_in_the_comments_continuation(sdn: pd.DataFrame) -> None:
    sberbank = _primary(sdn, "17018")
    ids = {(i["scheme"], i["value"]) for i in sberbank["identifiers"]}
    assert {("INN", "7707083893"), ("OGRN", "1027700132195")} <= ids
    assert list(sberbank["programs"]) == ["UKRAINE-EO13662", "RUSSIA-EO14024"]


@pytest.mark.shared
def test_established_date_is_not_an_identifier(sdn: pd.DataFrame) -> None:
    primary = sdn[sdn["name_kind"] == "primary"]
    dated = primary[primary["remarks"].str.contains("Organization Established Date", na=False)]
    assert len(dated) > 1000
    values = [i["value"] for ids in dated["identifiers"] for i in ids]
    assert values  # these entries do carry identifiers ...
    assert not [v for v in values if re.fullmatch(r"(\d{2} )?\w{3} \d{4}", v)]  # ... no dates


@pytest.mark.shared
def test_vessel_imo_and_flag(sdn: pd.DataFrame) -> None:
    vessels = sdn[(sdn["name_kind"] == "primary") & (sdn["entity_type"] == "vessel")]
    with_imo = vessels["identifiers"].map(lambda ids: any(i["scheme"] == "IMO" for i in ids))
    assert with_imo.mean() > 0.9
    imo_values = [i["value"] for ids in vessels["identifiers"] for i in ids if i["scheme"] == "IMO"]
    assert all(len(v) == 7 and v.isdigit() for v in imo_values)


@pytest.mark.shared
def test_nulls_and_end_of_file_byte(sdn: pd.DataFrame) -> None:
    text_columns = ["name", "remarks", "entity_type", "source_id"]
    for column in text_columns:
        values = sdn[column].dropna()
        assert not values.str.strip().eq("-0-").any(), column  # OFAC's null token
        assert not values.str.contains("\x1a", regex=False).any(), column
    assert set(sdn["entity_type"]) == {"entity", "individual", "vessel", "aircraft"}
    assert sdn.loc[sdn["source_id"] == "36", "remarks"].isna().all()  # remarks "-0- " -> null
    assert _primary(sdn, "47089")["name"]  # the last record, just before the 0x1A byte
    assert sdn["listed_on"].isna().all()
    assert (sdn["list_version"] == "2023-12-28").all()  # from the folder name


@pytest.mark.shared
def test_addresses_countries_and_links(sdn: pd.DataFrame) -> None:
    bnc = _primary(sdn, "306")
    assert "Zweierstrasse 35, Zurich CH-8022, Switzerland" in bnc["addresses"]
    assert {"CH", "ES", "JP", "PA"} <= set(bnc["countries"])
    assert list(_primary(sdn, "28263")["related"]) == ["LAZARUS GROUP"]
    # "Linked To: SAGAX INVESTMENT GROUP LTD.;" keeps the period that belongs to the name
    assert "SAGAX INVESTMENT GROUP LTD." in _primary(sdn, "16815")["related"]
    russia = sdn[(sdn["name_kind"] == "primary")]["countries"].map(lambda c: "RU" in c)
    assert russia.sum() > 3000


@pytest.mark.shared
def test_explicit_version_and_single_file(sdn_folder: Path) -> None:
    alt = read_ofac_csv(sdn_folder / "alt.csv", ALT_COLUMNS)
    assert alt["alt_remarks"].isna().all()  # "-0- " up to the last row, before the 0x1A
    table = parse_ofac_sdn_csv(sdn_folder / "alt.csv", list_version="v9")
    assert set(table["list_version"].to_pylist()) == {"v9"}
    assert table.num_rows > 30_000  # alt.csv brought in its whole set


# --------------------------------------------------------------------------- malformed files

GOOD_SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    "\"a.k.a. 'BNC'.\"\r\n"
)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("utf-8") + b"\x1a")
    return path


def test_small_set_parses(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.csv", GOOD_SDN)
    _write(tmp_path, "alt.csv", '306,220,"aka","NATIONAL BANK OF CUBA",-0- \r\n')
    table = parse_ofac_sdn_csv(tmp_path / "sdn.csv")
    assert table.num_rows == 4
    assert table["list_version"].to_pylist() == [None] * 4
    kinds = dict(zip(table["name"].to_pylist(), table["name_kind"].to_pylist(), strict=True))
    assert kinds == {
        "AEROCARIBBEAN AIRLINES": "primary",
        "BANCO NACIONAL DE CUBA": "primary",
        "NATIONAL BANK OF CUBA": "alias",
        "BNC": "weak_alias",
    }
    assert isinstance(table, pa.Table)


def test_wrong_column_count_names_file_row_column(tmp_path: Path) -> None:
    bad = GOOD_SDN + '400,"SHORT ROW",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    path = _write(tmp_path, "sdn.csv", bad)
    with pytest.raises(ListParseError) as info:
        parse_ofac_sdn_csv(path)
    assert info.value.file == path
    assert info.value.row == 3
    assert info.value.column == "Remarks"
    assert "expected 12 columns" in str(info.value) and "sdn.csv" in str(info.value)


def test_non_numeric_ent_num_names_file_row_column(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.csv", GOOD_SDN)
    alt = _write(tmp_path, "alt.csv", '306,220,"aka","X",-0- \r\nABC,221,"aka","Y",-0- \r\n')
    with pytest.raises(ListParseError) as info:
        parse_ofac_sdn_csv(tmp_path)
    assert (info.value.file, info.value.row, info.value.column) == (alt, 2, "ent_num")
    assert "'ABC'" in str(info.value)


def test_alias_of_unknown_entry_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.csv", GOOD_SDN)
    _write(tmp_path, "alt.csv", '999,220,"aka","ORPHAN",-0- \r\n')
    with pytest.raises(ListParseError, match="999 is not in the primary file") as info:
        parse_ofac_sdn_csv(tmp_path)
    assert (info.value.row, info.value.column) == (1, "ent_num")


def test_unknown_alias_type_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.csv", GOOD_SDN)
    _write(tmp_path, "alt.csv", '306,220,"xyz","ODD",-0- \r\n')
    with pytest.raises(ListParseError, match="alt_type") as info:
        parse_ofac_sdn_csv(tmp_path)
    assert info.value.column == "alt_type"


def test_folder_of_siblings_without_sdn_csv(tmp_path: Path) -> None:
    alt = _write(tmp_path, "alt.csv", '306,220,"aka","X",-0- \r\n')
    with pytest.raises(ListParseError, match="without its primary file"):
        parse_ofac_sdn_csv(alt)
