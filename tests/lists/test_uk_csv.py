"""UK OFSI ConList.csv and UK Sanctions List CSV: fixtures in the published layouts.

No copy of either file is in ../shared (every copy found is over 4 MiB), so the fixtures
write real designations (RUS0296 ABAKAROV, the Kalashnikov concern, a tanker) the way the
files lay them out: a banner line, the header, one row per name (and per address).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.uk_csv import (
    looks_like_ofsi_conlist_csv,
    looks_like_uk_sanctions_list_csv,
    parse_ofsi_conlist_csv,
    parse_uk_sanctions_list_csv,
)
from screening.schema import LIST_ENTRY_SCHEMA

CONLIST_HEADER = [
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Title",
    "Name Non-Latin Script",
    "Non-Latin Script Type",
    "Non-Latin Script Language",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "National Identification Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Other Information",
    "Group Type",
    "Alias Type",
    "Alias Quality",
    "Regime",
    "Listed On",
    "UK Sanctions List Date Designated",
    "Last Updated",
    "Group ID",
]
UKSL_HEADER = [
    "Last Updated",
    "Unique ID",
    "OFSI Group ID",
    "UN Reference Number",
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Name type",
    "Alias strength",
    "Title",
    "Name non-latin script",
    "Non-latin script type",
    "Non-latin script language",
    "Regime Name",
    "Designation Type",
    "Designation source",
    "Sanctions Imposed",
    "Other Information",
    "UK Statement of Reasons",
    "Address Line 1",
    "Address Line 2",
    "Address Line 3",
    "Address Line 4",
    "Address Line 5",
    "Address Line 6",
    "Address Postal Code",
    "Address Country",
    "Phone number",
    "Website",
    "Email address",
    "Date Designated",
    "D.O.B",
    "Nationality(/ies)",
    "National Identifier number",
    "National Identifier additional information",
    "Passport number",
    "Passport additional information",
    "Position",
    "Gender",
    "Town of birth",
    "Country of birth",
    "Type of entity",
    "Subsidiaries",
    "Parent company",
    "Business registration number (s)",
    "IMO number",
    "Current owner/operator (s)",
    "Previous owner/operator (s)",
    "Current believed flag of ship",
    "Previous flags",
    "Type of ship",
    "Tonnage of ship",
    "Length of ship",
    "Year Built",
    "Hull identification number (HIN)",
]

ABAKAROV = {
    "Name 6": "ABAKAROV",
    "Name 1": "Khizri",
    "Name 2": "Magomedovich",
    "DOB": "28/06/1960",
    "Town of Birth": "Yuzhno Sakhalinsk",
    "Country of Birth": "Russia",
    "Nationality": "Russia",
    "Position": "Member of the State Duma of the Russian Federation",
    "Group Type": "Individual",
    "Regime": "Russia",
    "Listed On": "11/03/2022",
    "UK Sanctions List Date Designated": "11/03/2022",
    "Last Updated": "11/03/2022",
    "Group ID": "14346",
    "Other Information": "(UK Sanctions List Ref):RUS0296. (UK Statement of Reasons):Member of "
    "the State Duma of Russia who voted in favour of Federal Law No. 75577-8. (Gender):Male",
}
KALASHNIKOV = {
    "Group Type": "Entity",
    "Regime": "Russia",
    "Listed On": "24/02/2022",
    "UK Sanctions List Date Designated": "24/02/2022",
    "Last Updated": "03/05/2024",
    "Group ID": "14196",
    "Address 1": "Deryabin Passage 3B",
    "Address 4": "Izhevsk",
    "Address 5": "Udmurt Republic",
    "Post/Zip Code": "426006",
    "Country": "Russia",
    "Other Information": "(UK Sanctions List Ref):RUS0255. (UK Statement of Reasons):Russia's "
    "largest manufacturer of automatic firearms. (Phone number):+7 (3412) 500 800 (Website):"
    "kalashnikovgroup.ru (Type of entity):Joint Stock Company (Business Reg No):Tax "
    "Identification Number: INN 1832090230; Registration number: OGRN 1111832003018 "
    "(Parent company):ROSTEC",
}
CONLIST_ROWS = [
    {**ABAKAROV, "Alias Type": "Primary name"},
    {**ABAKAROV, "Name 1": "Hizri", "Alias Type": "AKA", "Alias Quality": "Good quality"},
    {**ABAKAROV, "Name 6": "", "Name 1": "", "Name 2": "", "Alias Type": "Primary name",
     "Name Non-Latin Script": "АБАКАРОВ Хизри Магомедович", "Non-Latin Script Type": "Cyrillic"},
    {**KALASHNIKOV, "Name 6": "JOINT STOCK COMPANY KALASHNIKOV CONCERN",
     "Alias Type": "Primary name"},
    {**KALASHNIKOV, "Name 6": "KALASHNIKOV CONCERN", "Alias Type": "AKA",
     "Alias Quality": "Low quality"},
    {**KALASHNIKOV, "Name 6": "IZHMASH", "Alias Type": "FKA", "Alias Quality": "Good quality"},
    {**KALASHNIKOV, "Name 6": "JOINT STOCK COMPANY KALASHNIKOV CONCERN",
     "Alias Type": "Primary name", "Address 1": "Office 1, 18 Krzhizhanovsky St",
     "Address 4": "Moscow", "Address 5": "", "Post/Zip Code": "117218"},
]  # fmt: skip

SHIP = {
    "Unique ID": "RUS2567",
    "Name 6": "SOFOS",
    "Name type": "Primary Name",
    "Regime Name": "The Russia (Sanctions) (EU Exit) Regulations 2019",
    "Designation Type": "Ship",
    "Designation source": "UK",
    "Sanctions Imposed": 'Shipping sanctions: (see "Other information")',
    "Date Designated": "09/05/2025",
    "Last Updated": "09/05/2025",
    "IMO number": "9233776",
    "Current owner/operator (s)": "(1) Sofos Shipping Ltd (2) Olimp Management",
    "Current believed flag of ship": "Gabon",
    "Type of ship": "Crude Oil Tanker",
}
UKSL_ROWS = [
    {"Last Updated": "03/05/2024", "Unique ID": "RUS0255", "OFSI Group ID": "14196",
     "Name 6": "JOINT STOCK COMPANY KALASHNIKOV CONCERN", "Name type": "Primary Name",
     "Regime Name": "The Russia (Sanctions) (EU Exit) Regulations 2019",
     "Designation Type": "Entity", "Designation source": "UK",
     "Sanctions Imposed": "Asset freeze|Trust Services Sanctions",
     "Address Line 1": "Deryabin Passage 3B", "Address Line 4": "Izhevsk",
     "Address Postal Code": "426006", "Address Country": "Russia",
     "Date Designated": "24/02/2022", "Type of entity": "Joint Stock Company",
     "Parent company": "ROSTEC",
     "Business registration number (s)": "(1) Tax Identification Number: INN 1832090230 "
     "(2) Registration number: OGRN 1111832003018"},
    {"Last Updated": "03/05/2024", "Unique ID": "RUS0255", "OFSI Group ID": "14196",
     "Name 6": "KALASHNIKOV CONCERN", "Name type": "Alias", "Alias strength": "Low quality",
     "Regime Name": "The Russia (Sanctions) (EU Exit) Regulations 2019",
     "Designation Type": "Entity", "Date Designated": "24/02/2022"},
    {"Last Updated": "03/05/2024", "Unique ID": "RUS0255", "OFSI Group ID": "14196",
     "Name 6": "AO KONTSERN KALASHNIKOV", "Name type": "Primary name variation",
     "Name non-latin script": "АО «Концерн «Калашников»",
     "Regime Name": "The Russia (Sanctions) (EU Exit) Regulations 2019",
     "Designation Type": "Entity", "Date Designated": "24/02/2022"},
    SHIP,
]  # fmt: skip


def _csv(banner: str, header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    out.write(banner + "\n")
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def conlist_path(tmp_path: Path) -> Path:
    path = tmp_path / "ConList.csv"
    path.write_text(_csv("Last Updated,03/06/2026", CONLIST_HEADER, CONLIST_ROWS), "utf-8")
    return path


@pytest.fixture
def uksl_path(tmp_path: Path) -> Path:
    path = tmp_path / "UK_Sanctions_List.csv"
    path.write_text(_csv("Report Date: 13-Feb-2026", UKSL_HEADER, UKSL_ROWS), "utf-8-sig")
    return path


def test_layouts_are_told_apart(conlist_path: Path, uksl_path: Path) -> None:
    assert looks_like_ofsi_conlist_csv(conlist_path)
    assert not looks_like_uk_sanctions_list_csv(conlist_path)
    assert looks_like_uk_sanctions_list_csv(uksl_path)
    assert not looks_like_ofsi_conlist_csv(uksl_path)
    assert detect_list_format(conlist_path) == "uk_ofsi_conlist_csv"
    assert detect_list_format(uksl_path) == "uk_sanctions_list_csv"


def test_conlist_groups_rows_into_targets(conlist_path: Path) -> None:
    table = parse_ofsi_conlist_csv(conlist_path)
    assert table.schema == LIST_ENTRY_SCHEMA
    rows = table.to_pandas()
    assert set(rows["list_source"]) == {"uk_ofsi"}
    names = {(r.source_id, r.name, r.name_kind) for r in rows.itertuples()}
    assert names == {
        ("14346", "Khizri Magomedovich ABAKAROV", "primary"),
        ("14346", "Hizri Magomedovich ABAKAROV", "alias"),
        ("14346", "АБАКАРОВ Хизри Магомедович", "alias"),
        ("14196", "JOINT STOCK COMPANY KALASHNIKOV CONCERN", "primary"),
        ("14196", "KALASHNIKOV CONCERN", "weak_alias"),
        ("14196", "IZHMASH", "former"),
    }
    party = rows.drop_duplicates("source_id").set_index("source_id")
    abakarov, kalashnikov = party.loc["14346"], party.loc["14196"]
    assert abakarov["entity_type"] == "individual"
    assert list(abakarov["countries"]) == ["RU"]
    assert abakarov["listed_on"] == dt.date(2022, 3, 11)
    assert "Born: 28/06/1960" in abakarov["remarks"]
    assert {(i["scheme"], i["value"]) for i in abakarov["identifiers"]} == {
        ("UK_SANCTIONS_LIST_REF", "RUS0296"),  # joins the FCDO list's Unique ID
        ("OFSI_GROUP_ID", "14346"),
    }
    assert {(i["scheme"], i["value"]) for i in kalashnikov["identifiers"]} == {
        ("INN", "1832090230"),
        ("OGRN", "1111832003018"),
        ("UK_SANCTIONS_LIST_REF", "RUS0255"),
        ("OFSI_GROUP_ID", "14196"),
    }
    assert list(kalashnikov["addresses"]) == [
        "Deryabin Passage 3B, Izhevsk, Udmurt Republic, 426006, Russia",
        "Office 1, 18 Krzhizhanovsky St, Moscow, 117218, Russia",
    ]
    assert list(kalashnikov["related"]) == ["ROSTEC"]
    assert list(kalashnikov["programs"]) == ["Russia"]
    assert set(rows["list_version"]) == {"2026-06-03"}


def test_uk_sanctions_list_designations(uksl_path: Path) -> None:
    rows = parse_uk_sanctions_list_csv(uksl_path).to_pandas()
    assert set(rows["list_source"]) == {"uk_fcdo"}
    assert rows.groupby("source_id")["name_kind"].agg(sorted).to_dict() == {
        "RUS0255": ["alias", "alias", "primary", "weak_alias"],
        "RUS2567": ["primary"],
    }
    party = rows.drop_duplicates("source_id").set_index("source_id")
    kalashnikov, ship = party.loc["RUS0255"], party.loc["RUS2567"]
    assert {(i["scheme"], i["value"]) for i in kalashnikov["identifiers"]} == {
        ("INN", "1832090230"),
        ("OGRN", "1111832003018"),
        ("OFSI_GROUP_ID", "14196"),
    }
    assert "АО «Концерн «Калашников»" in set(rows["name"])
    assert list(kalashnikov["related"]) == ["ROSTEC"]
    assert "Type of entity: Joint Stock Company" in kalashnikov["remarks"]
    assert ship["entity_type"] == "vessel"
    assert [(i["scheme"], i["value"]) for i in ship["identifiers"]] == [("IMO", "9233776")]
    assert list(ship["related"]) == ["Sofos Shipping Ltd", "Olimp Management"]
    assert ship["listed_on"] == dt.date(2025, 5, 9)
    assert set(rows["list_version"]) == {"2026-02-13"}


def test_unknown_alias_type_and_bad_date_name_their_row(tmp_path: Path) -> None:
    path = tmp_path / "ConList.csv"
    rows = [CONLIST_ROWS[0], {**CONLIST_ROWS[1], "Alias Type": "Nickname"}]
    path.write_text(_csv("Last Updated,03/06/2026", CONLIST_HEADER, rows), "utf-8")
    with pytest.raises(ListParseError, match=r"row 4, column 'Alias Type': unknown Alias Type"):
        parse_ofsi_conlist_csv(path)
    rows = [CONLIST_ROWS[0], {**CONLIST_ROWS[1], "Listed On": "2022-03-11"}]
    path.write_text(_csv("Last Updated,03/06/2026", CONLIST_HEADER, rows), "utf-8")
    with pytest.raises(ListParseError, match=r"row 4, column 'Listed On'"):
        parse_ofsi_conlist_csv(path)


def test_missing_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ConList.csv"
    path.write_text("Last Updated,03/06/2026\nName,Country\nACME,RU\n", encoding="utf-8")
    assert not looks_like_ofsi_conlist_csv(path)
    with pytest.raises(ListParseError, match=r"ConList\.csv: no header with"):
        parse_ofsi_conlist_csv(path)


def test_windows_1252_file(tmp_path: Path) -> None:
    path = tmp_path / "ConList.csv"
    rows = [{**CONLIST_ROWS[3], "Name 6": "SOCIÉTÉ TEST"}]
    path.write_bytes(_csv("Last Updated,03/06/2026", CONLIST_HEADER, rows).encode("cp1252"))
    assert parse_ofsi_conlist_csv(path).column("name").to_pylist() == ["SOCIÉTÉ TEST"]


def test_conlist_as_a_frame_matches_row_count(conlist_path: Path) -> None:
    raw = pd.read_csv(conlist_path, skiprows=1, dtype=str)
    assert raw["Group ID"].nunique() == 2
    table = parse_ofsi_conlist_csv(conlist_path).to_pandas()
    assert table["source_id"].nunique() == 2
