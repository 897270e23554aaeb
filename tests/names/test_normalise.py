"""Normalisation case table: what must meet, and what must stay apart."""

from __future__ import annotations

import pytest

from screening.names import normalise_company_name, normalise_name

SAME_KEY = [
    # legal forms in many languages and scripts
    ("OOO YATASH RUS", "Limited Liability Company Yatash Rus"),
    ("ООО «ЯТАШ РУС»", "YATASH RUS LLC"),
    ("Obshchestvo s Ogranichennoy Otvetstvennostyu Yatash Rus", "YATASH RUS, L.L.C."),
    ("AO Khimprom", "JOINT STOCK COMPANY KHIMPROM"),
    ("PAO KHIMPROM", "Public Joint Stock Company Khimprom"),
    ("АО «Химпром»", "Aktsionernoe Obshchestvo Khimprom"),
    ("SHENZHEN ALPHA ELECTRONICS CO., LTD.", "Shenzhen Alpha Electronics Company Limited"),
    ("ISTANBUL DEMIR ANONIM ŞIRKETI", "ISTANBUL DEMIR A.S."),
    ("TOO STONE ERA", "STONE ERA LLP"),
    ("ALPHA TRADE FZE", "Alpha Trade F.Z.E."),
    ("KAPPA GMBH", "Kappa Gesellschaft mit beschränkter Haftung"),
    # customs abbreviations meet their full words
    ("GLOBAL INTL TRDG CO LTD", "GLOBAL INTERNATIONAL TRADING COMPANY LIMITED"),
    ("ORION ELEC MFG GRP", "ORION ELECTRONICS MANUFACTURING GROUP"),
    # Russian transliteration variants meet
    ("KHIMPROM", "HIMPROM"),
    ("TSENTRALNY ZAVOD", "CENTRALNYY ZAVOD"),
    ("YAROSLAVSKIY RADIOZAVOD", "IAROSLAVSKIJ RADIOZAVOD"),
    ("ЁЛКИНСКИЙ ЗАВОД", "ЕЛКИНСКИЙ ЗАВОД"),
    ("KUZEY LOJISTIK", "KUZEI LOJISTIK"),  # short words: Y/I
    ("GAZPROM TRANSGAZ UKHTA", "GAZPROM TRANSGAZ UHTA"),  # short words: KH/H
    ("UGOLNYE TEKHNOLOGII OOO", "UGOLNYE TEHNOLOGII OOO"),  # an abbreviation key, folded
    # legal forms transliterated or half translated
    ("BANK VTB PUBLICHNOE AKCIONERNOE OBSHCHESTVO", "BANK VTB PAO"),
    ("OTKRYTOE JOINT STOCK COMPANY IRKUTSKGAZPROM", "OAO IRKUTSKGAZPROM"),
    ("ERA METALURJI SAN VE TIC LIMITED STI", "ERA Metalurji San. Ve Tic. Ltd. Sti."),
    # quotes, punctuation, width
    ("«MILANDR»", '"Milandr"'),
    ("ＡＢＣＤ ＥＬＥＣＴＲＯ", "ABCD ELECTRO"),
]

DIFFERENT_KEY = [
    ("AVITS LLC", "AVIC"),  # short tokens are not folded into each other
    ("ALPHA TRADING", "ALPHA TRANSPORT"),
    ("SIBERIA", "SERBIA"),
    ("M M E C", "MEC"),  # initials, not a doubled letter
    ("CHECHEN REPUBLIC", "CHECHEN PUBLIC"),  # a word of the language is not two slips away
    ("MINISTRY OF INTERNAL AFFAIRS", "MINISTRY OF INTERNATIONAL AFFAIRS"),
]


@pytest.mark.parametrize(("a", "b"), SAME_KEY)
def test_variants_meet(a: str, b: str) -> None:
    assert normalise_company_name(a) == normalise_company_name(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_KEY)
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert normalise_company_name(a) != normalise_company_name(b)


def test_inn_and_kpp_prefix_become_identifiers() -> None:
    norm = normalise_name("7722476458 772201001 OOO YATASH RUS")
    assert norm.identifiers == (("INN", "7722476458"), ("KPP", "772201001"))
    assert norm.key == normalise_company_name("YATASH RUS")
    assert norm.legal_forms == ("llc",)


def test_twelve_digit_inn_without_kpp() -> None:
    norm = normalise_name("771234567890 IP IVANOV IVAN")
    assert norm.identifiers == (("INN", "771234567890"),)
    assert "ip" not in norm.tokens


def test_digits_inside_a_name_are_kept() -> None:
    assert normalise_name("KORVON 2011 LLC").tokens == ("korvon", "2011")


def test_name_that_is_only_a_legal_form_keeps_its_words() -> None:
    assert normalise_name("LLC").tokens != ()


def test_generic_words_are_marked() -> None:
    norm = normalise_name("ORION TRADING GROUP LLC")
    assert {"trading", "group"} <= norm.generic_tokens
    assert "orion" not in norm.generic_tokens


def test_cjk_legal_form_is_recognised() -> None:
    norm = normalise_name("深圳市华强电子有限公司")
    assert norm.legal_forms == ("ltd",)
    assert len(norm.tokens) > 3


@pytest.mark.parametrize(
    "written", ["SULTAN'S CONSTRUCTION", "Sultan's Construction", "SULTAN’S CONSTRUCTION"]
)
def test_a_possessive_is_the_names_in_capitals_too(written: str) -> None:
    """Customs write names in capitals: SULTAN'S is SULTAN, as Sultan's is, not a word SULTANS."""
    assert normalise_name(written).tokens == normalise_name("SULTAN CONSTRUCTION").tokens
