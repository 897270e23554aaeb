"""UK FCDO sanctions list summary export (ODS): the real 2025-08-11 file and broken files."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.uk_fcdo_ods import (
    NamelessEntryWarning,
    looks_like_uk_fcdo_ods,
    parse_uk_fcdo_ods,
)
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

EXPORT = ("sanctions", "uk", "FCDO_SL_2025-08-11.ods")


@pytest.fixture(scope="module")
def parsed() -> tuple[pd.DataFrame, list[str]]:
    with pytest.warns(NamelessEntryWarning) as caught:
        table = parse_uk_fcdo_ods(shared_path(*EXPORT))
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas(), [str(w.message) for w in caught]


@pytest.mark.shared
def test_5302_designations(parsed: tuple[pd.DataFrame, list[str]]) -> None:
    table, warnings = parsed
    # 5,302 designations (SOURCES.md): two have no name in the export; they are kept (nothing
    # is lost) with an empty name, which the matcher skips, and the warning says which
    assert len(table) == 5302
    assert table["source_id"].is_unique
    (message,) = warnings
    assert "2 designation(s) without a name" in message
    assert "BEL0174, RUS1467 (rows [649, 3524])" in message
    assert sorted(table.loc[table["name"] == "", "source_id"]) == ["BEL0174", "RUS1467"]
    assert table["entity_type"].value_counts().to_dict() == {
        "individual": 3754,
        "entity": 1087,
        "vessel": 461,
    }
    russia = table["programs"].map(lambda p: list(p) == ["Russia"])
    assert russia.sum() == 2710
    assert set(table["name_kind"]) == {"primary"}


@pytest.mark.shared
def test_fields_of_one_designation(parsed: tuple[pd.DataFrame, list[str]]) -> None:
    table, _ = parsed
    row = table[table["source_id"] == "RUS0859"].iloc[0]
    assert row["name"] == "NOROV Erkin Rakhmatovich"
    assert row["list_source"] == "uk_fcdo"
    assert row["entity_type"] == "individual"
    assert row["listed_on"] == dt.date(2022, 3, 15)
    assert [(i["scheme"], i["value"]) for i in row["identifiers"]] == [("OFSI_GROUP_ID", "14810")]
    assert "Sanctions imposed: Asset freeze" in row["remarks"]
    assert row["list_version"] == "2025-08-11"
    assert table["listed_on"].max() == dt.date(2025, 7, 23)
    ships = table[table["entity_type"] == "vessel"]
    # ships have no OFSI group, except 15 DPRK vessels designated in 2018
    assert ships["identifiers"].map(len).gt(0).sum() == 15


@pytest.mark.shared
def test_detected_by_the_registry() -> None:
    path = shared_path(*EXPORT)
    assert looks_like_uk_fcdo_ods(path)
    assert detect_list_format(path) == "uk_fcdo_ods"


def test_not_an_ods(tmp_path: Path) -> None:
    path = tmp_path / "list.ods"
    path.write_bytes(b"PK\x03\x04 this is not a spreadsheet")
    assert not looks_like_uk_fcdo_ods(path)
    with pytest.raises(ListParseError, match=r"list\.ods: not a readable ODS spreadsheet"):
        parse_uk_fcdo_ods(path)


def test_ods_without_the_headers(tmp_path: Path) -> None:
    path = tmp_path / "other.ods"
    pd.DataFrame({"Company": ["ACME"], "Country": ["RU"]}).to_excel(path, engine="odf", index=False)
    assert zipfile.is_zipfile(path)
    assert not looks_like_uk_fcdo_ods(path)
    with pytest.raises(ListParseError, match=r"no header row with Unique ID, Name"):
        parse_uk_fcdo_ods(path)


def test_bad_type_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "FCDO_SL_2025-01-02.ods"
    pd.DataFrame(
        {
            "Unique ID": ["RUS0001", "RUS0002"],
            "OFSI Group ID": ["1", "2"],
            "Name": ["A", "B"],
            "Regime Name": ["Russia", "Russia"],
            "Type": ["Entity", "Spaceship"],
            "Designation source": ["UK", "UK"],
            "Date Designated": ["01-02-2022", "01-02-2022"],
            "Sanctions Imposed": ["Asset freeze", "Asset freeze"],
        }
    ).to_excel(path, engine="odf", index=False)
    assert looks_like_uk_fcdo_ods(path)
    with pytest.raises(ListParseError, match=r"row 3, column 'Type': unknown Type 'Spaceship'"):
        parse_uk_fcdo_ods(path)
