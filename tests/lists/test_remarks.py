"""Remark extraction: readable case tables of real OFAC/CSL remark fragments."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from screening.lists.parsers.aliases import extract_aliases, extract_related
from screening.lists.parsers.identifiers import extract_identifiers, extract_nationalities
from screening.lists.parsers.tables import group_into_lists, split_joined


def _ids(remark: str) -> set[tuple[str, str]]:
    found = extract_identifiers(pd.Series([remark]))
    return set(zip(found["scheme"], found["value"], strict=True))


IDENTIFIER_CASES = [
    # remark as OFAC writes it -> (scheme, value) pairs
    (
        "Tax ID No. 7718852163 (Russia); Registration ID 1117746521452 (Russia).",
        {("INN", "7718852163"), ("OGRN", "1117746521452")},
    ),
    ("Tax ID No. 772879307103 (Russia)", {("INN", "772879307103")}),  # 12-digit personal INN
    ("Registration Number 304500116000157 (Russia)", {("OGRN", "304500116000157")}),  # OGRNIP
    ("Registration Number 1135032005734", {("REGISTRATION", "1135032005734")}),  # no country
    ("Tax ID No. 259597826652 (Ukraine)", {("TAX_ID:UA", "259597826652")}),
    ("Registration ID HE 143062 (Cyprus)", {("REGISTRATION:CY", "HE 143062")}),
    ("Government Gazette Number 56467052 (Russia)", {("OKPO", "56467052")}),
    ("Government Gazette Number 14512525 (Belarus)", {("GOVERNMENT_GAZETTE:BY", "14512525")}),
    ("Vessel Registration Identification IMO 9220952.", {("IMO", "9220952")}),
    (
        "Company Number IMO 5528362; MMSI 572469210",
        {("IMO_COMPANY", "5528362"), ("MMSI", "572469210")},
    ),
    (
        "INN: 7703270067; KPP: 770301001; OGRN 1027700042413",  # EU/UK style labels
        {("INN", "7703270067"), ("KPP", "770301001"), ("OGRN", "1027700042413")},
    ),
    (
        "Passport K989895 (Tunisia) issued 26 Jul 1995 expires 25 Jul 2000",
        {("PASSPORT:TN", "K989895")},
    ),
    ("alt. Passport 203037 (Libya)", {("PASSPORT:LY", "203037")}),
    ("R.F.C. # PMA-910805 (Mexico)", {("TAX_ID:MX", "PMA-910805")}),
    ("SWIFT/BIC SABRRUMM; Website www.sberbank.ru", {("SWIFT_BIC", "SABRRUMM")}),
    ("Organization Established Date 24 Feb 2010; Gender Male; Website www.roe.ru", set()),
    ("Passport issued in Sarajevo, Bosnia-Herzegovina", set()),
    ("Business Registration Number 12345 (Turkey)", {("REGISTRATION:TR", "12345")}),
]


@pytest.mark.parametrize(("remark", "expected"), IDENTIFIER_CASES)
def test_identifiers(remark: str, expected: set[tuple[str, str]]) -> None:
    assert _ids(remark) == expected


ALIAS_CASES = [
    ("a.k.a. 'BNC'.", ["BNC"]),
    ("DOB 1966; a.k.a. 'ABU ANAS'; a.k.a. ''ABD AL-MUHSI'.", ["ABU ANAS", "'ABD AL-MUHSI"]),
    (
        "a.k.a. ''FOOPIE''; a.k.a. 'ABDEL' AZIZ BEN NARVAN'; f.k.a. 'SAND SWAN'.",
        ["FOOPIE", "ABDEL' AZIZ BEN NARVAN", "SAND SWAN"],
    ),
    ("n.k.a. 'NEW NAME'; Linked To: X.", ["NEW NAME"]),
    ("Gender Male; nationality Iran", []),
]


@pytest.mark.parametrize(("remark", "expected"), ALIAS_CASES)
def test_aliases_are_weak(remark: str, expected: list[str]) -> None:
    found = extract_aliases(pd.Series([remark]))
    assert found["name"].tolist() == expected
    assert set(found["name_kind"]) <= {"weak_alias"}


def test_related_keeps_a_period_that_belongs_to_the_name() -> None:
    remarks = pd.Series(
        [
            "Linked To: SAGAX INVESTMENT GROUP LTD.; Linked To: LAZARUS GROUP.",
            "(Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE)",
            "(Linked To: ZAGROS PARDIS KISH; Linked To: MAHAN AIR)",
        ]
    )
    known = pd.Series(["SAGAX INVESTMENT GROUP LTD.", "LAZARUS GROUP"])
    found = extract_related(remarks, known)
    assert found.groupby("row")["name"].agg(list).to_dict() == {
        0: ["SAGAX INVESTMENT GROUP LTD.", "LAZARUS GROUP"],
        1: ["ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE"],
        2: ["ZAGROS PARDIS KISH", "MAHAN AIR"],
    }


def test_nationalities() -> None:
    remarks = pd.Series(
        ["DOB 1970; nationality Russia; alt. nationality Korea, North.", None, "citizen Mexico"]
    )
    found = extract_nationalities(remarks)
    assert list(zip(found["row"], found["country"], strict=True)) == [
        (0, "RU"),
        (0, "KP"),
        (2, "MX"),
    ]


def test_group_into_lists_aligns_rows() -> None:
    long = split_joined(pd.Series(["A; B", None, " ", "C"]), ";")
    lists = group_into_lists(long["row"].to_numpy(), pa.array(long["value"]), 5)
    assert lists.to_pylist() == [["A", "B"], [], [], ["C"], []]
