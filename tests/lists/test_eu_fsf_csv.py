"""EU Financial Sanctions Files CSV 1.1: a fixture built from the published 118-column layout.

No FSF file is in ../shared (every copy found is over 4 MiB), so the fixture writes real
entries the way the FSF flattens them: one row per name alias / address / identification /
birth date / citizenship, the Entity_* columns repeated on each.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.eu_fsf_csv import FSF_COLUMNS, looks_like_eu_fsf_csv, parse_eu_fsf_csv
from screening.schema import LIST_ENTRY_SCHEMA

SADDAM = {
    "fileGenerationDate": "28/10/2022",
    "Entity_LogicalId": "13",
    "Entity_EU_ReferenceNumber": "EU.27.28",
    "Entity_Remark": "(UNSC RESOLUTION 1483)",
    "Entity_SubjectType": "P",
    "Entity_SubjectType_ClassificationCode": "person",
    "Entity_Regulation_Type": "regulation",
    "Entity_Regulation_OrganisationType": "commission",
    "Entity_Regulation_PublicationDate": "2003-07-08",
    "Entity_Regulation_EntryIntoForceDate": "2003-07-07",
    "Entity_Regulation_NumberTitle": "1210/2003 (OJ L169)",
    "Entity_Regulation_Programme": "IRQ",
}
KALASHNIKOV = {
    "fileGenerationDate": "28/10/2022",
    "Entity_LogicalId": "139213",
    "Entity_EU_ReferenceNumber": "EU.7508.38",
    "Entity_DesignationDate": "2022-07-21",
    "Entity_SubjectType": "E",
    "Entity_SubjectType_ClassificationCode": "enterprise",
    "Entity_Regulation_Type": "regulation",
    "Entity_Regulation_OrganisationType": "council",
    "Entity_Regulation_PublicationDate": "2022-07-21",
    "Entity_Regulation_NumberTitle": "2022/1270 (OJ L193)",
    "Entity_Regulation_Programme": "UKR",
}
SHEIMAN = {
    "fileGenerationDate": "28/10/2022",
    "Entity_LogicalId": "140001",
    "Entity_EU_ReferenceNumber": "EU.2212.67",
    "Entity_DesignationDate": "2004-09-24",
    "Entity_SubjectType": "P",
    "Entity_SubjectType_ClassificationCode": "person",
    "Entity_Regulation_PublicationDate": "2006-05-20",
    "Entity_Regulation_NumberTitle": "765/2006 (OJ L134)",
    "Entity_Regulation_Programme": "BLR",
}
ROWS = [
    {**SADDAM, "NameAlias_LastName": "Hussein Al-Tikriti", "NameAlias_FirstName": "Saddam",
     "NameAlias_LogicalId": "17"},
    {**SADDAM, "NameAlias_WholeName": "Abu Ali", "NameAlias_LogicalId": "18"},
    {**SADDAM, "NameAlias_WholeName": "Abou Ali", "NameAlias_LogicalId": "19"},
    {**SADDAM, "BirthDate_BirthDate": "1937-04-28", "BirthDate_City": "al-Awja, near Tikrit",
     "BirthDate_CountryIso2Code": "IQ", "BirthDate_CountryDescription": "IRAQ",
     "BirthDate_LogicalId": "20"},
    {**SADDAM, "Citizenship_CountryIso2Code": "IQ", "Citizenship_CountryDescription": "IRAQ",
     "Citizenship_LogicalId": "21"},
    {**KALASHNIKOV, "NameAlias_WholeName": "Joint Stock Company Kalashnikov Concern",
     "NameAlias_NameLanguage": "EN", "NameAlias_LogicalId": "139214",
     "Address_City": "Izhevsk", "Address_Street": "Deryabin Passage 3B",
     "Address_ZipCode": "426006", "Address_CountryIso2Code": "RU",
     "Address_CountryDescription": "RUSSIAN FEDERATION", "Address_LogicalId": "139219"},
    {**KALASHNIKOV, "NameAlias_WholeName": "Акционерное общество «Концерн «Калашников»",
     "NameAlias_NameLanguage": "RU", "NameAlias_LogicalId": "139215"},
    {**KALASHNIKOV, "NameAlias_WholeName": "Kalashnikov", "NameAlias_LogicalId": "139216",
     "NameAlias_Remark": "Low quality alias"},
    {**KALASHNIKOV, "Identification_Number": "1111832003018",
     "Identification_TypeCode": "regnumber",
     "Identification_TypeDescription": "Primary State Registration Number",
     "Identification_CountryIso2Code": "RU", "Identification_LogicalId": "139220"},
    {**KALASHNIKOV, "Identification_Number": "1832090230",
     "Identification_TypeCode": "fiscalcode",
     "Identification_TypeDescription": "Tax Identification Number",
     "Identification_CountryIso2Code": "RU", "Identification_LogicalId": "139221"},
    {**KALASHNIKOV, "NameAlias_WholeName": "Joint Stock Company Kalashnikov Concern",
     "NameAlias_NameLanguage": "EN", "NameAlias_LogicalId": "139214"},  # repeated part
    {**SHEIMAN, "NameAlias_WholeName": "Viktar Uladzimiravich SHEIMAN",
     "NameAlias_Function": "Head of the Presidential Property Management Directorate",
     "NameAlias_LogicalId": "140002"},
    {**SHEIMAN, "NameAlias_WholeName": "Виктор Владимирович ШЕЙМАН",
     "NameAlias_LogicalId": "140003"},
    {**SHEIMAN, "Identification_Number": "MP2156098", "Identification_TypeCode": "passport",
     "Identification_TypeDescription": "National passport",
     "Identification_CountryIso2Code": "BY", "Identification_LogicalId": "140004"},
    {**SHEIMAN, "Citizenship_CountryIso2Code": "BY", "Citizenship_LogicalId": "140005"},
]  # fmt: skip


def _write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = FSF_COLUMNS) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([[row.get(c, "") for c in columns] for row in rows])
    return path


@pytest.fixture
def fsf(tmp_path: Path) -> pd.DataFrame:
    path = _write(tmp_path / "20221028-FULL-1_1.csv", ROWS)
    assert looks_like_eu_fsf_csv(path)
    assert detect_list_format(path) == "eu_fsf_csv"
    table = parse_eu_fsf_csv(path)
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


def test_layout_has_118_columns() -> None:
    assert len(FSF_COLUMNS) == len(set(FSF_COLUMNS)) == 118
    assert FSF_COLUMNS[1] == "Entity_LogicalId"
    assert FSF_COLUMNS[19] == "NameAlias_WholeName"
    assert FSF_COLUMNS[78] == "Identification_Number"
    assert FSF_COLUMNS[-1] == "Citizenship_Regulation_PublicationUrl"


def test_entities_grouped_with_their_names(fsf: pd.DataFrame) -> None:
    assert fsf.drop_duplicates("source_id")["source_id"].tolist() == ["13", "139213", "140001"]
    assert set(fsf["list_source"]) == {"eu_fsf"}
    names = {(r.source_id, r.name, r.name_kind) for r in fsf.itertuples()}
    assert names == {
        ("13", "Saddam Hussein Al-Tikriti", "primary"),  # composed from first and last name
        ("13", "Abu Ali", "alias"),
        ("13", "Abou Ali", "alias"),
        ("139213", "Joint Stock Company Kalashnikov Concern", "primary"),
        ("139213", "Акционерное общество «Концерн «Калашников»", "alias"),
        ("139213", "Kalashnikov", "weak_alias"),
        ("140001", "Viktar Uladzimiravich SHEIMAN", "primary"),
        ("140001", "Виктор Владимирович ШЕЙМАН", "alias"),
    }
    kinds = fsf.drop_duplicates("source_id").set_index("source_id")["entity_type"]
    assert kinds.to_dict() == {"13": "individual", "139213": "entity", "140001": "individual"}


def test_parts_of_each_entity(fsf: pd.DataFrame) -> None:
    party = fsf.drop_duplicates("source_id").set_index("source_id")
    kalashnikov = party.loc["139213"]
    assert {(i["scheme"], i["value"]) for i in kalashnikov["identifiers"]} == {
        ("OGRN", "1111832003018"),
        ("INN", "1832090230"),  # fiscal code of a Russian entity
        ("EU_REFERENCE_NUMBER", "EU.7508.38"),
    }
    assert list(kalashnikov["addresses"]) == [
        "Deryabin Passage 3B, Izhevsk, 426006, RUSSIAN FEDERATION"
    ]
    assert list(kalashnikov["countries"]) == ["RU"]
    assert list(kalashnikov["programs"]) == ["EU-UKR", "2022/1270 (OJ L193)"]
    assert kalashnikov["listed_on"] == dt.date(2022, 7, 21)
    sheiman = party.loc["140001"]
    assert ("PASSPORT:BY", "MP2156098") in {
        (i["scheme"], i["value"]) for i in sheiman["identifiers"]
    }
    assert list(sheiman["countries"]) == ["BY"]
    assert (
        "Function: Head of the Presidential Property Management Directorate" in sheiman["remarks"]
    )
    saddam = party.loc["13"]
    assert list(saddam["countries"]) == ["IQ"]  # citizenship; the birth country is not one
    assert saddam["listed_on"] == dt.date(2003, 7, 8)  # no designation date: publication
    assert "Born: 1937-04-28" in saddam["remarks"]
    assert "(UNSC RESOLUTION 1483)" in saddam["remarks"]
    assert set(fsf["list_version"]) == {"2022-10-28"}


def test_bad_date_names_row_and_column(tmp_path: Path) -> None:
    rows = [dict(ROWS[0]), {**ROWS[1], "Entity_DesignationDate": "21.07.2022"}]
    path = _write(tmp_path / "fsf.csv", rows)
    with pytest.raises(ListParseError, match=r"row 3, column 'Entity_DesignationDate'"):
        parse_eu_fsf_csv(path)


def test_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    _write(path, ROWS[:1])
    text = path.read_text(encoding="utf-8-sig").rstrip("\r\n") + "\r\n13;EU.27.28\r\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ListParseError, match=r"row 3, column 'Entity_EU_ReferenceNumber'"):
        parse_eu_fsf_csv(path)
    other = _write(tmp_path / "other.csv", [{"a": "1"}], columns=("a", "b"))
    assert not looks_like_eu_fsf_csv(other)
    with pytest.raises(ListParseError, match=r"not an EU FSF CSV"):
        parse_eu_fsf_csv(other)
