"""trade.gov Consolidated Screening List: the real 2022-04 file and 2025 sample, plus bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import parse_trade_csl_csv
from screening.lists.parsers.trade_csl import SOURCE_CODES, list_source_code
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

CSL_2022 = ("sanctions", "us_trade_csl", "consolidated_2022-04.csv")
CSL_2025 = ("sanctions", "us_trade_csl", "consolidated_2025_sample.csv")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Independent read of the 2022 file, for cross-checks."""
    return pd.read_csv(shared_path(*CSL_2022), dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def csl() -> pd.DataFrame:
    table = parse_trade_csl_csv(shared_path(*CSL_2022), list_version="2022-04")
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


def _primary(csl: pd.DataFrame) -> pd.DataFrame:
    return csl[csl["name_kind"] == "primary"]


@pytest.mark.shared
def test_every_entry_once(csl: pd.DataFrame, raw: pd.DataFrame) -> None:
    assert len(raw) == 14_160  # SOURCES.md
    primary = _primary(csl)
    keys = primary[["list_source", "source_id"]]
    assert not keys.duplicated().any()
    # One CAPTA row (entity 15268) is in the file twice, differing only in source_list_url.
    repeats = raw.drop(columns="source_list_url").duplicated()
    assert repeats.sum() == 1
    assert len(primary) == len(raw) - repeats.sum()
    expected_ids = raw["entity_number"].fillna(raw["_id"])
    assert set(primary["source_id"]) == set(expected_ids)


@pytest.mark.shared
def test_every_source_gets_a_known_code(csl: pd.DataFrame, raw: pd.DataFrame) -> None:
    primary = _primary(csl)
    known = {code for _, code in SOURCE_CODES}
    assert set(primary["list_source"]) == known  # all 13 lists, none slugged
    per_source = raw.drop(columns="source_list_url").drop_duplicates()["source"]
    expected = per_source.map(list_source_code).value_counts().sort_index()
    got = primary["list_source"].value_counts().sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False)


@pytest.mark.shared
def test_aliases_are_rows(csl: pd.DataFrame, raw: pd.DataFrame) -> None:
    aliases = csl[csl["name_kind"] == "alias"]
    split = raw.drop(columns="source_list_url").drop_duplicates()["alt_names"]
    split = split.dropna().str.split(";").explode().str.strip()
    split = split[split.str.len() > 0].str.replace(r"^and\s+", "", regex=True)  # "; and X"
    per_party = split.reset_index().drop_duplicates()  # the CSL repeats some aliases
    assert len(aliases) == len(per_party)
    assert len(split) - len(per_party) < 100
    assert set(csl["name_kind"]) == {"primary", "alias"}


@pytest.mark.shared
def test_entity_list_russian_address(csl: pd.DataFrame) -> None:
    el = _primary(csl)[_primary(csl)["list_source"] == "us_bis_entity_list"]
    entry = el[el["name"] == "27th Scientific Center of the Russian Ministry of Defense"].iloc[0]
    assert list(entry["addresses"]) == ["Birgadirskiy pereulok 13, Moscow, 105005, RU"]
    assert list(entry["countries"]) == ["RU"]
    assert entry["listed_on"] == dt.date(2021, 3, 4)
    assert pd.isna(entry["entity_type"])  # BIS lists do not say
    russian = el["countries"].map(lambda c: "RU" in c).sum()
    assert 500 < russian < len(el)  # SOURCES.md: 573 with Russian addresses


@pytest.mark.shared
def test_ids_cell_and_programs(csl: pd.DataFrame) -> None:
    primary = _primary(csl)
    on_sdn = primary["list_source"] == "us_ofac_sdn"
    sberbank = primary[(primary["source_id"] == "17018") & on_sdn]
    ids = {(i["scheme"], i["value"]) for i in sberbank.iloc[0]["identifiers"]}
    assert {("INN", "7707083893"), ("OGRN", "1027700132195"), ("SWIFT_BIC", "SABRRUMM")} <= ids
    # the same party is on three CSL source lists: one party per list
    assert set(primary.loc[primary["source_id"] == "17018", "list_source"]) == {
        "us_ofac_sdn",
        "us_ofac_ssi",
        "us_ofac_ns_mbs",
    }
    multi = primary[primary["programs"].map(len) > 1]
    assert len(multi) > 100
    assert not any(";" in p for ps in primary["programs"] for p in ps)


@pytest.mark.shared
def test_types_dates_and_links(csl: pd.DataFrame, raw: pd.DataFrame) -> None:
    primary = _primary(csl)
    assert set(primary["entity_type"].dropna()) == {"entity", "individual", "vessel", "aircraft"}
    assert primary["entity_type"].isna().sum() == raw["type"].isna().sum()
    assert primary["listed_on"].notna().sum() == raw["start_date"].notna().sum()
    mahan = primary["related"].map(lambda r: "MAHAN AIR" in r)
    assert mahan.sum() > 10  # "(Linked To: MAHAN AIR)"
    assert (csl["list_version"] == "2022-04").all()


@pytest.mark.shared
def test_2025_layout() -> None:
    table = parse_trade_csl_csv(shared_path(*CSL_2025))
    rows = table.to_pandas()
    primary = rows[rows["name_kind"] == "primary"].set_index("source_id")
    assert len(primary) == 13
    tnk = primary.loc["28603"]
    assert {(i["scheme"], i["value"]) for i in tnk["identifiers"]} == {
        ("VAT:CH", "CHE-267.936.404"),
        ("REGISTRATION:CH", "CH-660.0.559.011-2"),
    }
    assert list(tnk["programs"]) == ["VENEZUELA-EO13850", "UKRAINE-EO13662"]
    cetc = rows[rows["name"].str.contains("CETC 13", regex=False)].iloc[0]
    assert all(not a.startswith("and ") for a in cetc["addresses"])
    aliases = rows.loc[rows["source_id"] == cetc["source_id"], "name"].tolist()
    assert "CETC Research Institute 13" in aliases  # listed as "...; and CETC Research ..."
    assert rows["list_version"].isna().all()


def test_unknown_source_gets_a_slug() -> None:
    assert list_source_code("Some New List (SNL) - Treasury Department") == (
        "us_csl_some_new_list_snl_treasury_department"
    )
    assert list_source_code("Entity List (EL) - Bureau of Industry and Security") == (
        "us_bis_entity_list"
    )


# --------------------------------------------------------------------------- malformed files

HEADER = "_id,source,entity_number,type,programs,name,addresses,start_date,alt_names,ids\n"
GOOD_ROW = (
    'abc1,Entity List (EL) - Bureau of Industry and Security,,,,"OOO Test","1 Ulitsa, Moscow, RU"'
    ",2022-03-03,TEST LLC; TEST OOO,\n"
)


def test_small_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(HEADER + GOOD_ROW, encoding="utf-8")
    table = parse_trade_csl_csv(path)
    assert table["name"].to_pylist() == ["OOO Test", "TEST LLC", "TEST OOO"]
    assert table["countries"].to_pylist()[0] == ["RU"]
    assert table["source_id"].to_pylist() == ["abc1"] * 3


def test_wrong_column_count(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(HEADER + GOOD_ROW + "abc2,Entity List,,,,Short\n", encoding="utf-8")
    with pytest.raises(ListParseError) as info:
        parse_trade_csl_csv(path)
    assert (info.value.file, info.value.row, info.value.column) == (path, 3, "addresses")


def test_missing_name_column(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text("_id,source,title\nx,Entity List,y\n", encoding="utf-8")
    with pytest.raises(ListParseError, match="missing column") as info:
        parse_trade_csl_csv(path)
    assert (info.value.row, info.value.column) == (1, "name")


def test_bad_date_and_type(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(HEADER + GOOD_ROW.replace("2022-03-03", "03/03/2022"), encoding="utf-8")
    with pytest.raises(ListParseError, match="not a YYYY-MM-DD date") as info:
        parse_trade_csl_csv(path)
    assert (info.value.row, info.value.column) == (2, "start_date")
    path.write_text(HEADER + GOOD_ROW.replace(",,,,", ",,Company,,", 1), encoding="utf-8")
    with pytest.raises(ListParseError, match="'Company'") as info:
        parse_trade_csl_csv(path)
    assert (info.value.row, info.value.column) == (2, "type")


def test_blank_name(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(HEADER + GOOD_ROW + 'abc2,Entity List,,,,"  ",,,,\n', encoding="utf-8")
    with pytest.raises(ListParseError, match="without a name") as info:
        parse_trade_csl_csv(path)
    assert (info.value.row, info.value.column) == (3, "name")
