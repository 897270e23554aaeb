"""HS 2017 <-> HS 2022 on the bundled UNSD correlation table and nomenclatures."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from screening.errors import ListParseError
from screening.hs import (
    HS_EDITIONS,
    convert_hs6,
    correlation_pairs,
    load_correlation,
    resolve_editions,
)
from screening.hs.vintage import hs6_in_edition


def candidates_of(code: str, source: str, target: str) -> list[str]:
    return convert_hs6([code], source=source, target=target)["candidates"][0].as_py()


def test_bundled_correlation_loads_checked() -> None:
    table = load_correlation()
    assert table.column_names == ["hs2022", "hs2017", "relationship"]
    assert table.num_rows == 15_657
    counts = {r["values"]: r["counts"] for r in pc.value_counts(table["relationship"]).to_pylist()}
    assert counts == {"1:1": 4097, "1:n": 54, "n:1": 1392, "n:n": 10114}
    assert load_correlation() is table


def test_every_subheading_has_a_counterpart() -> None:
    table = load_correlation()
    hs2022 = set(table["hs2022"].to_pylist())
    hs2017 = set(table["hs2017"].to_pylist())
    assert pc.all(hs6_in_edition(list(hs2022), "2022")).as_py()
    assert pc.all(hs6_in_edition(list(hs2017), "2017")).as_py()
    assert len(hs2022) == 5613  # every HS 2022 subheading, 999999 included
    assert len(hs2017) == 5387  # every HS 2017 subheading but 300219, which UNSD leaves out


@pytest.mark.parametrize(
    ("code", "source", "target", "expected", "complete"),
    [
        ("852580", "2017", "2022", {"852581", "852582", "852583", "852589"}, False),  # split
        ("854890", "2017", "2022", {"854800", "852990", "854151", "854159"}, False),
        ("030510", "2017", "2022", {"030910"}, True),  # 1:1 renumbered
        ("040310", "2017", "2022", {"040320"}, True),  # 1:n: merged with part of 190190
        ("854800", "2022", "2017", {"854890"}, True),
        ("040320", "2022", "2017", {"040310", "190190"}, True),
        ("854231", "2022", "2022", {"854231"}, True),
    ],
)
def test_conversion_candidates(
    code: str, source: str, target: str, expected: set[str], complete: bool
) -> None:
    found = candidates_of(code, source, target)
    assert found == sorted(found)
    assert set(found) == expected if complete else expected < set(found)


def test_split_codes_name_every_candidate() -> None:
    result = convert_hs6(["854890", "852580", None, "300219"], source="2017", target="2022")
    assert len(result["candidates"][0].as_py()) == 16
    assert len(result["candidates"][1].as_py()) == 20
    assert result["relationships"][1].as_py() == ["n:1", "n:n"]
    assert result["candidates"][2].as_py() is None
    assert result["candidates"][3].as_py() == []  # not in the table: no guess


def test_identity_pairs_for_one_edition() -> None:
    pairs = correlation_pairs("2022", "2022")
    assert pairs.num_rows == 5613
    assert pc.all(pc.equal(pairs["source_hs6"], pairs["target_hs6"])).as_py()


def test_resolve_editions() -> None:
    codes = ["854231", "854890", "030510", "852589", "999998", None]
    assert resolve_editions(codes).to_pylist() == ["2022", "2017", "2017", "2022", "2022", None]
    assert resolve_editions(codes, "2017").to_pylist() == ["2017"] * 5 + [None]
    with pytest.raises(ValueError, match="unknown HS edition '2012'"):
        resolve_editions(codes, "2012")
    assert HS_EDITIONS == ("2017", "2022")


def test_bad_correlation_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "corr.csv"
    path.write_text("hs2022,hs2017,relationship\n854800,854890,n:1\n852589,85258,n:1\n", "utf-8")
    with pytest.raises(ListParseError, match="'85258' is not a six-digit") as caught:
        load_correlation(path)
    assert (caught.value.row, caught.value.column) == (3, "hs2017")
    path.write_text("hs2022,hs2017,relationship\n854800,854890,1:2\n", "utf-8")
    with pytest.raises(ListParseError, match="is not one of") as caught:
        load_correlation(path)
    assert (caught.value.row, caught.value.column) == (2, "relationship")
