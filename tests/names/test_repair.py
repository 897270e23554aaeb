"""Typing slips repaired from list words, and the readings a trade name is scored on."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from screening.lists import load_bundled_lists
from screening.names import NameIndex
from screening.names.cut import cut_version_score
from screening.names.normalise import normalise_name
from screening.names.readings import best_reading, read_queries
from screening.names.repair import KnownWords, repair_words


@functools.cache
def bundled_index() -> NameIndex:
    return NameIndex.build(load_bundled_lists())


def known() -> KnownWords:
    return bundled_index().known_words


# customs spelling -> the words it is repaired to (the bundled lists know the targets)
REPAIRED = [
    ("CHINA NATIONALNUCLEAR CORPORATION", "china national nuclear corporation"),  # space left out
    ("EXODUSM ICROELECTRONICS", "exodus microelectronics"),  # space one letter off
    ("LIMITED LIABILITYPCO", "limited liability co"),  # space typed as a letter
    ("JOINT STOCK COMPANY 75ARSENAL", "joint stock company 75 arsenal"),
    ("SMMAZ", "smaz"),  # doubled letter
    ("OJSC AF BAKN", "ojsc af bank"),  # swapped letters
    ("DRUJBA", "druzhba"),  # J for Ж
    ("SOUTH FRNT", "south front"),  # a letter left out
    ("SPARS KTD", "spars ltd"),  # a garbled legal form
    ("ATRILOR LDT", "atrilor ltd"),  # a legal form with swapped letters, at the name's end
    ("LEON TECHNOLOGY C OLTD", "leon technology co ltd"),
]


@pytest.mark.parametrize(("written", "meant"), REPAIRED)
def test_slips_are_repaired_to_list_words(written: str, meant: str) -> None:
    words, notes = repair_words(written.casefold().split(), known())
    assert " ".join(words) == meant
    assert notes  # every repair is reported for the explanation


@pytest.mark.parametrize(
    "written",
    [
        "SHENZHEN ALPHA ELECTRONICS CO LTD",  # nothing to repair
        "M M E C",  # initials joined: MMEC is not MEC with a doubled letter
        "SKY BLUE BRD GROUP",  # BRD: BIRD or BARD? a left-out letter only when one word fits
    ],
)
def test_names_without_a_clear_slip_are_left_alone(written: str) -> None:
    from screening.names.normalise import raw_words

    words = raw_words(written)
    repaired, notes = repair_words(words, known())
    assert (repaired, notes) == (words, [])


def test_a_legal_form_one_slip_from_two_forms_is_set_aside_unnamed() -> None:
    words, notes = repair_words(["nsrz", "jlc"], known())  # JLC: JSC or LLC?
    assert words == ["nsrz"] and notes == ["jlc -> (a legal form)"]


def test_readings_keep_the_best_score_per_query_and_key() -> None:
    readings = read_queries(
        ["EXODUSM ICROELECTRONICS CO LTD", "DELTA TECHNICAL AND SCIENTIFIC INST", "ACME"],
        bundled_index(),
    )
    origins = readings.origin.tolist()
    assert origins[:3] == [0, 1, 2]
    assert origins.count(0) == 2  # repaired reading
    assert origins.count(1) == 2  # read as cut: INST[RUMENTS], not INSTITUTE
    assert origins.count(2) == 1  # nothing else to read
    rows = np.array([0, 3, 3, 4])
    keys = np.array([7, 7, 9, 7])
    scores = np.array([60.0, 99.0, 50.0, 70.0])
    q, k, s, r = best_reading(rows, keys, scores, readings.origin)
    best = {(int(a), int(b)): (float(c), int(d)) for a, b, c, d in zip(q, k, s, r, strict=True)}
    assert best[(0, 7)] == (99.0, 3)  # the repaired reading wins for query 0, key 7
    assert best[(0, 9)] == (50.0, 3)
    assert best[(1, 7)] == (70.0, 4)


@pytest.mark.parametrize(
    ("trade", "listed", "expected"),
    [
        ("LIMITED LIABILITY COMPANY ZHEMCHUZH", "OOO ZHEMCHUZHINA ARKTIKI", 99.0),
        ("AO SARATOVSKII RADIOPRIBORN", "AO SARATOVSKII RADIOPRIBORNYI ZAVOD", 99.0),
        # stops at a word boundary: may be whole, and the start of many longer names
        ("URAL SCIENTIFIC RESEARCH INSTITUTE", "Ural Scientific Research Institute for X", 94.0),
        ("LIMITED LIABILITY COMPANY SBERBANK", "LLC SBERBANK INSURANCE BROKER", 0.0),  # one word
        ("ALPHA TRADING", "BETA TRADING", 0.0),
    ],
)
def test_cut_names_are_compared_with_the_start_of_list_names(
    trade: str, listed: str, expected: float
) -> None:
    query = normalise_name(trade)
    key = normalise_name(listed, may_be_cut=False)
    assert cut_version_score(query.tokens, key.tokens) == pytest.approx(expected)
