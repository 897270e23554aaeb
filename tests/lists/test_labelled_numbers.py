"""ID cells with labels (remarks.extract_labelled_numbers): real cells of EU, UK and FtM lists."""

from __future__ import annotations

import pandas as pd
import pytest

from screening.lists.parsers.identifiers import (
    address_countries,
    extract_labelled_numbers,
    inn_check_digits_agree,
    label_country,
    ogrn_check_digit_agrees,
)


def _ids(text: str, default: str = "REGISTRATION", country: str | None = None) -> set[tuple]:
    found = extract_labelled_numbers(pd.Series([text]), default, pd.Series([country]))
    return set(zip(found["scheme"], found["value"], strict=True))


CASES = [
    # (cell as the list writes it, default scheme of its column, party country) -> identifiers
    ("7704730655 (Tax ID/INN)", "REGISTRATION", None, {("INN", "7704730655")}),
    ("1085258008054 (OGRN)", "REGISTRATION", None, {("OGRN", "1085258008054")}),
    ("SRN/OGRN 1071651000035", "REGISTRATION", None, {("OGRN", "1071651000035")}),
    ("ИНН/taxpayer identification number: 5259113339", "TAX_ID", None, {("INN", "5259113339")}),
    (
        "(TIN) 9704211491; (OGRN) 1237700341801",
        "REGISTRATION",
        "RU",
        {("INN", "9704211491"), ("OGRN", "1237700341801")},
    ),
    (
        "13185231 INN: 5013045054 KPP: 504001001 OGRN: 1025001627859",
        "ID_NUMBER",
        "RU",
        {
            ("ID_NUMBER:RU", "13185231"),
            ("INN", "5013045054"),
            ("KPP", "504001001"),
            ("OGRN", "1025001627859"),
        },
    ),
    (
        "7730239877, KPP 773001001, OKPO 20239393",
        "INN",
        None,
        {("INN", "7730239877"), ("KPP", "773001001"), ("OKPO", "20239393")},
    ),
    (  # INN/KPP written as a pair
        "190950894 (Belarus); 7704734000/770301001 (Russia)",
        "REGISTRATION",
        None,
        {("REGISTRATION:BY", "190950894"), ("INN", "7704734000"), ("KPP", "770301001")},
    ),
    (  # UK style
        "Tax Identification Number: INN 7702070139; Registration number: OGRN 1027739609391",
        "REGISTRATION",
        None,
        {("INN", "7702070139"), ("OGRN", "1027739609391")},
    ),
    ("91220101310012867G (USCC)", "REGISTRATION", "CN", {("USCC", "91220101310012867G")}),
    ("2182045 (CR No.)", "REGISTRATION", "AE", {("REGISTRATION:AE", "2182045")}),
    ("1 402 015 986", "INN", None, {("INN", "1402015986")}),  # digits grouped by thousands
    ("1021601627090 on 25.11.2002", "OGRN", None, {("OGRN", "1021601627090")}),  # date skipped
    (
        "(1) 530308406 (2) 531246870",
        "PASSPORT",
        "RU",
        {("PASSPORT:RU", "530308406"), ("PASSPORT:RU", "531246870")},
    ),
    (
        "MP 3413113 and MP 2387911",
        "PASSPORT",
        "BY",
        {("PASSPORT:BY", "MP3413113"), ("PASSPORT:BY", "MP2387911")},
    ),
    ("35415368 (valid until 25.10.2031)", "PASSPORT", None, {("PASSPORT", "35415368")}),
    ("100211261(УНП)", "REGISTRATION", "BY", {("TAX_ID:BY", "100211261")}),
    (  # a label naming a country: never an INN, wherever the party is
        "440300280527908 (China Company Registration Number)",
        "REGISTRATION",
        "RU",
        {("REGISTRATION:CN", "440300280527908")},
    ),
    ("309628784 (Tax ID/INN)", "REGISTRATION", "UZ", {("TAX_ID:UZ", "309628784")}),  # 9 digits
    ("14005160213 (ID)", "REGISTRATION", None, {("ID_NUMBER", "14005160213")}),  # not Indonesia
]


@pytest.mark.parametrize(("text", "default", "country", "expected"), CASES)
def test_labelled_numbers(text: str, default: str, country: str | None, expected: set) -> None:
    assert _ids(text, default, country) == expected


RUSSIAN_INFERENCE = [
    # an unlabelled number of a Russian party: its register follows from length and check digits
    ("5099000013", "REGISTRATION", "RU", {("INN", "5099000013")}),
    ("1027700132195", "TAX_ID", "RU", {("OGRN", "1027700132195")}),
    ("4516913332", "ID_NUMBER", "RU", {("ID_NUMBER:RU", "4516913332")}),  # passport: check fails
    ("5099000013", "REGISTRATION", None, {("REGISTRATION", "5099000013")}),  # country unknown
    ("3881489178", "REGISTRATION", "TR", {("REGISTRATION:TR", "3881489178")}),
    ("614322649248", "TAX_ID", None, {("INN", "614322649248")}),  # 12 digits, both checks agree
    ("614322649248", "TAX_ID", "KZ", {("TAX_ID:KZ", "614322649248")}),  # Kazakh IIN format
]


@pytest.mark.parametrize(("text", "default", "country", "expected"), RUSSIAN_INFERENCE)
def test_russian_numbers_by_length_and_check_digits(
    text: str, default: str, country: str | None, expected: set
) -> None:
    assert _ids(text, default, country) == expected


def test_check_digits() -> None:
    assert inn_check_digits_agree("7704730655")  # JSC Sirius
    assert inn_check_digits_agree("183116181362")  # a person's INN
    assert not inn_check_digits_agree("7704730656")
    assert not inn_check_digits_agree("77047306")
    assert ogrn_check_digit_agrees("1111832003018")  # Kalashnikov
    assert ogrn_check_digit_agrees("304500116000157")  # OGRNIP, 15 digits
    assert not ogrn_check_digit_agrees("1111832003019")


def test_label_country() -> None:
    assert label_country("Russia") == "RU"
    assert label_country("Russian") == "RU"
    assert label_country("ID") is None
    assert label_country("BRN") is None  # also Brunei's alpha-3 code
    assert label_country("valid until") is None


def test_address_countries() -> None:
    addresses = pd.Series(
        [
            "203, Fontanka Emb., 190121, St. Peterburg, Russia.",
            "22, Sushchevskaya UI, Moscow 127055RU.",
            "Russian Federation, 123182, Moscow, Shchukinskaya st. 6-3 (Business address)",
            "Pushkinskaya Ulitsa, 72А, Rostov, Rostov Oblast, Russia, 344022",
            "Unit 617, 131-132 Connaught Road West, Hong Kong, China.",
            "Bolshoi Znamenskiy per",
            None,
        ]
    )
    assert address_countries(addresses).tolist()[:5] == ["RU", "RU", "RU", "RU", "CN"]
    assert address_countries(addresses).isna().tolist()[5:] == [True, True]
