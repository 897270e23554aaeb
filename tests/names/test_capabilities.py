"""What the matcher reads, tested on real list names from ../shared (skipped where absent).

Each capability is exercised on names taken from the published lists (the OFAC SDN file of
2023-12-28 and the EU Regulation 833/269 records): the variants are made here the way customs
clerks and data vendors write names, and must find the entry they came from.
"""

from __future__ import annotations

import functools
import re
import warnings

import pyarrow as pa
import pytest

from screening.lists import parse_list_files
from screening.names import (
    DEFAULT_THRESHOLD,
    NameIndex,
    compare_names,
    match_names,
    score_name_pairs,
)
from screening.names.index import is_abbreviation, parenthetical_alternatives
from screening.names.normalise import latin_skeleton, raw_words
from tests.conftest import shared_path

SDN = ("sanctions", "us_ofac", "sdn_set_2023-12-28", "sdn.csv")
EU_FILES = (
    ("sanctions", "eu_opensanctions_oj", "32014R0833.csv"),
    ("sanctions", "eu_opensanctions_oj", "32014R0269.csv"),
)


@functools.cache
def sdn_table() -> pa.Table:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_list_files([shared_path(*SDN)])


@functools.cache
def sdn_index() -> NameIndex:
    return NameIndex.build(sdn_table())


@functools.cache
def eu_text() -> str:
    return "\n".join(shared_path(*p).read_text(encoding="utf-8") for p in EU_FILES)


def real_entities(pattern: str, limit: int = 12) -> list[dict]:
    """SDN entity primary names matching ``pattern`` (a regex), in file order."""
    found = []
    columns = ["source_id", "name", "name_kind", "entity_type", "countries"]
    for row in sdn_table().select(columns).to_pylist():
        if row["entity_type"] != "entity" or row["name_kind"] != "primary":
            continue
        if re.search(pattern, row["name"]) and len(row["name"]) <= 60:
            found.append(row)
            if len(found) == limit:
                break
    assert found, f"no SDN entity name matches {pattern!r}"
    return found


def country_of(row: dict) -> str | None:
    return next((c for c in row["countries"] or [] if c and c != "None"), None)


def found_in_top5(query: str, row: dict) -> bool:
    hits = match_names([query], sdn_index(), countries=[country_of(row)], top=5)
    return row["source_id"] in hits["source_id"].to_pylist()


def test_latin_lookalikes_are_read_with_the_unicode_skeleton() -> None:
    assert latin_skeleton("PУRAMID") == "PYRAMID"  # Cyrillic У
    assert latin_skeleton("Shenzhen Сo., Ltd.") == "Shenzhen Co., Ltd."  # Cyrillic С
    assert latin_skeleton("ООО «Ромашка»") == "ООО «Ромашка»"  # a Cyrillic name stays
    lookalike = str.maketrans({"C": "С", "O": "О", "P": "Р", "A": "А", "E": "Е"})
    rows = real_entities(r"^[A-Z]+[COPAE][A-Z]* [A-Z]{4,}")
    for row in rows:
        word, rest = row["name"].split(" ", 1)
        query = f"{word.translate(lookalike)} {rest}"  # every look-alike of the first word
        assert query != row["name"]
        assert found_in_top5(query, row), (query, row["name"])


def test_joined_and_split_words_are_read_against_the_list_vocabulary() -> None:
    rows = real_entities(r"^[A-Z]{4,} [A-Z]{4,} [A-Z]{3,}")
    missed = []
    for row in rows:
        first, second, rest = row["name"].split(" ", 2)
        joined = f"{first}{second} {rest}"  # NORTHSOUTH CARGO
        if not found_in_top5(joined, row):
            missed.append(joined)
    assert len(missed) <= 1, missed
    # a number run into the word after it (75ARSENAL), on a real name with a number
    row = real_entities(r"^\d+(ST|ND|RD|TH)? [A-Z]{4,}", limit=1)[0]
    number, rest = row["name"].split(" ", 1)
    assert found_in_top5(f"{number}{rest}", row), row["name"]


def test_names_of_the_same_letters_with_spaces_moved_meet() -> None:
    """A word split in two (NET WORKS for NETWORKS) or two words run together, read against
    the list name's letters, not only its vocabulary: found, and explained as re-spaced."""
    rows = real_entities(r"^[A-Z]{9,} [A-Z]{4,}$", limit=10)
    missed = []
    for row in rows:
        first, rest = row["name"].split(" ", 1)
        split = f"{first[:4]} {first[4:]} {rest}"  # a word split where no word ends
        joined = f"{first}{rest}"
        for query in (split, joined):
            if not found_in_top5(query, row):
                missed.append(query)
    assert len(missed) <= 1, missed
    hits = match_names([split], sdn_index(), countries=[country_of(row)], top=5).to_pylist()
    assert "the same letters with spaces moved" in hits[0]["explanation"], hits[0]


def test_a_slip_that_lands_on_another_list_word_is_still_read_as_a_slip() -> None:
    """REALY is a word of another list name, and a slip of REALTY: both are read."""
    row = real_entities(r"^82 ELM REALTY LLC$", limit=1)[0]
    assert found_in_top5("82 ELM REALY LLC", row)


def test_a_name_word_is_read_in_the_other_number_too() -> None:
    """URAL and URALS are both words of SDN names: a trade name writing one finds the other."""
    row = real_entities(r"^URALS PLANT OF TRANSPORTATION MACHINERY", limit=1)[0]
    assert found_in_top5("URAL PLANT OF TRANSPORTATION MACHINERY JSC", row)


ABBREVIATED = [
    (r"\bAVIATION\b", "AVIATION", "AVN"),
    (r"\bHOLDING\b", "HOLDING", "HLD"),
    (r"\bSHIPPING\b", "SHIPPING", "SHPG"),
    (r"\bLOGISTICS\b", "LOGISTICS", "LOGIST"),
    (r"\bINVESTMENT\b", "INVESTMENT", "INV"),
    (r"\bRESEARCH INSTITUTE\b", "RESEARCH INSTITUTE", "RES INST"),
    (r"\bTECHNOLOGIES\b", "TECHNOLOGIES", "TECHS"),  # the plural's S on an abbreviation
    (r"\bINSTRUMENTS\b", "INSTRUMENTS", "INSTRS"),
]


@pytest.mark.parametrize(("pattern", "word", "short"), ABBREVIATED)
def test_abbreviations_are_read_as_prefixes_or_consonant_skeletons(
    pattern: str, word: str, short: str
) -> None:
    assert all(is_abbreviation(s, w) for s, w in [("avn", "aviation"), ("hld", "holding")])
    assert not is_abbreviation("kinet", "kinef")
    rows = real_entities(pattern, limit=4)
    for row in rows:
        query = row["name"].replace(word, short)
        assert found_in_top5(query, row), (query, row["name"])


def test_an_abbreviation_reads_as_a_word_it_begins_before_a_skeleton() -> None:
    import numpy as np

    from screening.names.index import AbbreviationTargets

    # INDUSTRIAL is on more names, but INSTR begins INSTRUMENTS (INSTR only fits its skeleton)
    targets = AbbreviationTargets.build(["industrial", "instrumenc"], np.array([50, 6]))
    assert targets.expansions("instr") == ["instrumenc"]
    assert targets.expansions("inds") == ["industrial"]


CSL = ("sanctions", "us_trade_csl", "consolidated_2022-04.csv")


@functools.cache
def csl_table() -> pa.Table:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_list_files([shared_path(*CSL)])


def test_equal_scores_rank_the_whole_name_holding_the_trade_name_first() -> None:
    """Every China State Shipbuilding institute also scores 100 on the acronym (CSSC) in its
    name: a trade name naming one institute must find that institute among its top hits."""
    table = csl_table()
    names = sorted(
        {
            n
            for n in table["name"].to_pylist()
            if re.fullmatch(
                r"China State Shipbuilding Corporation, Limited \(CSSC\) 7\d\d\w\w "
                r"Research Institute",
                n or "",
            )
        }
    )
    assert len(names) >= 10, names
    index = NameIndex.build(table)
    hits = match_names(names, index, countries=["CN"] * len(names), top=5).to_pylist()
    first = {h["query"]: h["matched_name"] for h in hits if h["rank"] == 1}
    assert all(first.get(n) == n for n in names), [(n, first.get(n)) for n in names]


def test_parenthetical_parts_are_alternative_names_on_both_sides() -> None:
    rows = real_entities(r"^[^()]{8,} \([A-Z]{3,8}\)$", limit=6)
    for row in rows:
        name = row["name"][:-1].rsplit(" (", 1)[0]
        assert found_in_top5(name, row), row["name"]  # NAME against NAME (ACRONYM)
        assert compare_names(row["name"], name).score >= DEFAULT_THRESHOLD
        assert compare_names(name, row["name"]).score >= DEFAULT_THRESHOLD
    # an English name followed by its original in Cyrillic, as the EU lists write them
    assert "JSC Kalashnikov Concern" in eu_text()
    both = compare_names("JSC Kalashnikov Concern (АО «Концерн Калашников»)", "Kalashnikov Concern")
    assert both.score >= DEFAULT_THRESHOLD, both


def test_a_part_an_alias_marker_introduces_is_a_name_whatever_its_shape() -> None:
    """The EU writes "PSB Bank (formerly. PROMSVYAZBANK)"; OFAC lists the bank as
    PROMSVYAZBANK PJSC. A long word in capitals is no acronym, but "formerly" says it is a
    name; a qualifier with no marker stays a qualifier."""
    eu_name = "PSB Bank (formerly. PROMSVYAZBANK)"
    assert eu_name in eu_text()
    assert "PROMSVYAZBANK PJSC" in sdn_table()["name"].to_pylist()
    assert "PROMSVYAZBANK" in parenthetical_alternatives(eu_name)
    assert parenthetical_alternatives("Acme Trading (f.k.a. Vega Shipping Co)") == [
        "Acme Trading",
        "Vega Shipping Co",
    ]
    assert parenthetical_alternatives("Neway CNC Equipment (Suzhou) Co") == [
        "Neway CNC Equipment Co"
    ]
    result = compare_names(eu_name, "PROMSVYAZBANK PJSC")
    assert result.score >= DEFAULT_THRESHOLD, result


# EU name -> OFAC name of the same entity (same INN), as the two lists write them
EU_TO_OFAC = [
    ("JSC Kalashnikov Concern", "JOINT STOCK COMPANY CONCERN KALASHNIKOV"),
    ("ENICS", "JOINT STOCK COMPANY ENIKS"),
    ("Spetstehnotreyd LLC", "LIMITED LIABILITY COMPANY SPETSTECHNOTRADE"),
    ("AO Votkinsky Zavod", "JOINT STOCK COMPANY VOTKINSKIY PLANT"),
    ("Votkinsk Plant", "JOINT STOCK COMPANY VOTKINSKIY ZAVOD"),
    ("Воткинский Завод", "JOINT STOCK COMPANY VOTKINSKIY PLANT"),
]


@pytest.mark.parametrize(("eu_name", "ofac_name"), EU_TO_OFAC)
def test_russian_organisation_words_meet_their_translations(eu_name: str, ofac_name: str) -> None:
    assert eu_name in eu_text()
    assert ofac_name in sdn_table()["name"].to_pylist()
    result = compare_names(eu_name, ofac_name)
    assert result.score >= DEFAULT_THRESHOLD, result


def test_ukrainian_and_russian_cyrillic_spellings_read_alike() -> None:
    ukrainian = "Акціонерне товариство ‘Акціонерна компанія ‘Туламашзавод’’"
    russian = "Акционерное Общество «Акционерная Компания «Туламашзавод» (АО «АК «Туламашзавод»)"
    assert ukrainian in eu_text() and russian in eu_text()
    assert raw_words("Харківський") == raw_words("Харкивский")  # і read as и
    assert raw_words("Європа") == raw_words("Европа")  # є read as е
    assert compare_names(ukrainian, russian).score >= DEFAULT_THRESHOLD


def test_conflicting_legal_form_counts_against_and_says_so() -> None:
    conflict = compare_names("Deutsche Bank AG", "Deutsche Bank GmbH")
    assert conflict.score < DEFAULT_THRESHOLD
    assert "legal forms differ: ag vs gmbh" in conflict.explanation
    assert compare_names("Deutsche Bank", "Deutsche Bank GmbH").score == 100.0  # missing: neutral
    assert (
        compare_names("OOO Rassvet", "Rassvet LLC").score
        > compare_names("ANO Rassvet", "Rassvet LLC").score
    )


def test_conflicting_country_counts_against_and_says_so() -> None:
    row = real_entities(r"^[A-Z]{5,} [A-Z]{5,} [A-Z]{4,}", limit=1)[0]
    listed = country_of(row)
    other = "BR" if listed != "BR" else "AR"

    def score(country: str | None) -> tuple[float, str]:
        hits = match_names([row["name"]], sdn_index(), countries=[country], threshold=50)
        hit = next(h for h in hits.to_pylist() if h["source_id"] == row["source_id"])
        return hit["score"], hit["explanation"]

    (agree, _), (none, _), (differ, why) = score(listed), score(None), score(other)
    assert agree >= none > differ
    assert none - differ >= 5
    assert f"country {other} differs from listed" in why


def test_truncated_names_keep_the_entries_they_begin() -> None:
    rows = real_entities(r"^.{45,60}$", limit=12)
    missed = [row["name"] for row in rows if not found_in_top5(row["name"][:35], row)]
    assert len(missed) <= 1, missed


def test_compare_and_match_names_give_one_score_for_one_pair() -> None:
    index = sdn_index()
    rows = real_entities(r"^[A-Z]{5,} [A-Z]{4,}", limit=10)
    queries = [f"{r['name']} LLC" if i % 2 else r["name"].lower() for i, r in enumerate(rows)]
    for query, row in zip(queries, rows, strict=True):
        hits = match_names([query], index, top=10, threshold=0.0).to_pylist()
        hit = next(h for h in hits if h["source_id"] == row["source_id"])
        (pair,) = score_name_pairs([query], [hit["matched_name"]], reference=index)
        assert pair.score == hit["score"], (query, hit, pair)


# EU name -> the OFAC name of the same entity (same INN), where one list writes a state body's
# descriptor, a parent company, a quoted proper name or an honorific the other leaves out
EU_TO_OFAC_LONGER = [
    (
        "Moscow Institute of Physics and Technology",
        "FEDERAL STATE INSTITUTION OF HIGHER VOCATIONAL EDUCATION MOSCOW INSTITUTE OF PHYSICS "
        "AND TECHNOLOGY",
    ),
    ("Tactical Missile Company, Joint Stock Company “Salute”", "JOINT STOCK COMPANY SALUTE"),
    (
        "JSC PROGRESS Arsenyev Aviation Company named after N.I. Sazikin",
        "JOINT STOCK COMPANY PROGRESS ARSENYEV AVIATION COMPANY",
    ),
    ("RTK LLC", "LIMITED LIABILITY COMPANY RTK"),  # RTK is a list word, not an abbreviation
]


@pytest.mark.parametrize(("eu_name", "ofac_name"), EU_TO_OFAC_LONGER)
def test_descriptors_parents_quotes_and_honorifics_set_aside(eu_name: str, ofac_name: str) -> None:
    assert eu_name in eu_text()
    assert ofac_name in sdn_table()["name"].to_pylist()
    result = compare_names(eu_name, ofac_name)
    assert result.score >= DEFAULT_THRESHOLD, result
    columns = ["source_id", "name", "countries"]
    row = next(r for r in sdn_table().select(columns).to_pylist() if r["name"] == ofac_name)
    assert found_in_top5(eu_name, row), eu_name


def test_segments_of_a_long_name_are_read_but_the_whole_still_counts() -> None:
    from screening.names.segments import segment_alternatives

    assert (
        segment_alternatives(
            "Tactical Missile Company, Joint Stock Company “State Machine Building Design Bureau "
            "“Vympel” named after I.I.Toropov”",
            ("joint stock company",),
        )[-1]
        == "Vympel joint stock company"
    )
    assert segment_alternatives("ABC Trading Co., Ltd") == []  # a legal form after a comma
    assert segment_alternatives("JSC, Kalashnikov") == []  # no parent before the comma
    # a quoted part is read with the whole name's legal form: OOO "X" still differs from X AG
    assert compare_names('OOO "Rassvet"', "Rassvet AG").score < DEFAULT_THRESHOLD


def test_a_slip_in_a_common_word_weighs_what_that_word_weighs() -> None:
    """GRUOP reads as GROUP, GROOP or GRUPO: against a list name holding GROUP it weighs as
    GROUP, not as the rarest of its readings (real SDN entry STROYTRANSGAZ GROUP)."""
    row = real_entities(r"^STROYTRANSGAZ GROUP$", limit=1)[0]
    assert found_in_top5("STROYTRANSGAZ GRUOP", row)
    # a repaired distinctive word gains nothing from it: a real Russian vendor party (Spanish
    # "star") is not the listed STRELA LLC ("arrow"), though one letter apart and in Russia
    strela = real_entities(r"^STRELA LIMITED LIABILITY COMPANY$", limit=1)[0]
    assert not found_in_top5("OOO ESTRELLA", strela)


def test_transliterations_of_yo_and_genitive_surnames_read_alike() -> None:
    from screening.names.normalise import fold_token

    assert fold_token("POLYOT".lower()) == fold_token("POLET".lower())  # Ё as YO or E
    assert fold_token("degtyaryov") == fold_token("degtyarev")
    assert fold_token("kulakova") == fold_token("kulakov")  # ZAVOD KULAKOVA / PLANT KULAKOV
    assert fold_token("armour") == fold_token("armor")


def test_two_names_with_legal_forms_after_a_comma_are_both_read() -> None:
    from screening.names.segments import segment_alternatives

    name = "JSC Tula Cartridge Plant, JSC TCP"  # the EU's record: the name, then its acronym
    assert name in eu_text()
    assert segment_alternatives(name) == ["JSC Tula Cartridge Plant", "JSC TCP"]
    assert compare_names(name, "TULA CARTRIDGE PLANT").score >= DEFAULT_THRESHOLD
    # a parent company before the comma is another entity: it is not read on its own
    parent = "Tactical Missile Company, Joint Stock Company Ravenstvo"
    assert segment_alternatives(parent) == ["Joint Stock Company Ravenstvo"]


def test_a_russian_ltd_is_an_llc_but_elsewhere_it_conflicts() -> None:
    from screening.names.features import legal_forms_conflict
    from screening.names.normalise import normalise_name

    ltd, llc = normalise_name("Invent LTD"), normalise_name("LIMITED LIABILITY COMPANY INVENT")
    assert legal_forms_conflict(ltd, llc)
    assert legal_forms_conflict(ltd, llc, "GB")
    assert not legal_forms_conflict(ltd, llc, "RU")


def test_place_adjectives_and_russian_words_read_as_their_english() -> None:
    from screening.names.normalise import fold_token, normalise_name

    assert fold_token("saratovskii") == fold_token("saratov")  # a place's adjective
    assert fold_token("moskovskiy") == fold_token("moscow")
    assert fold_token("omskiy") == fold_token("omsk")  # a short place keeps its letters
    assert fold_token("elektromechaniki") == fold_token("elektromekhaniki")
    # real OFAC and EU names of one entity (same INN): VOSTOCHNAYA VERF / Eastern Shipyard
    assert (
        normalise_name("VOSTOCHNAYA VERF JOINT STOCK COMPANY").tokens
        == normalise_name("Joint Stock Company Eastern Shipyard").tokens
    )
    assert "no" in normalise_name("JSC Armour Repair Plant No. 144").generic_tokens


def test_hyphenated_words_and_russian_stems_meet_their_other_spellings() -> None:
    from screening.names.normalise import normalise_name

    # real EU and OFAC names of one entity (same INN)
    eu = "Public Joint Stock Company Moscow Institute of Electro-Mechanics and Automation"
    assert eu in eu_text()
    ofac = "MOSCOW INSTITUTE OF ELECTROMECHANICS AND AUTOMATICS JSC"
    assert compare_names(eu, ofac).score >= DEFAULT_THRESHOLD
    assert (
        normalise_name("TORGOVYI DOM PROMELECTRONIKA OOO").tokens
        == normalise_name("TD Promelektronika LLC").tokens
    )
    assert (
        normalise_name("KLIMOVSKI SPETSIALIZIROVANNY PATRONNY ZAVOD").tokens
        == normalise_name("Klimovsk Specialised Cartridge Plant").tokens
    )
