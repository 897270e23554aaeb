"""classify_hs_codes on real national codes, every format trade files use, and both HS editions."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.hs import (
    CLASSIFICATION_SCHEMA,
    STATUSES,
    classify_hs_codes,
    load_categories,
    load_chpl,
)
from tests.conftest import shared_path
from tests.hs.test_categories import row, write_categories


@pytest.fixture(scope="module")
def tier_of() -> dict[str, str]:
    chpl = load_chpl()
    return dict(zip(chpl["hs6"].to_pylist(), chpl["tier"].to_pylist(), strict=True))


def one(value: str, categories: pa.Table | None = None, **options: object) -> dict:
    return classify_hs_codes([value], categories, **options).to_pylist()[0]


def custom(tmp_path: Path, rows: list[dict[str, str]], name: str = "custom.csv") -> pa.Table:
    return load_categories([write_categories(tmp_path / name, rows)])


# --------------------------------------------------------------------------- real data


def test_tnved_codes_flag_exactly_the_chpl_subheadings(tier_of: dict[str, str]) -> None:
    path = shared_path("hs", "tnved_eaeu_2022_ru.csv")
    with path.open(encoding="utf-8") as handle:
        codes = [r["code"] for r in csv.DictReader(handle) if r["level"] == "10"]
    result = classify_hs_codes(codes)
    assert result.schema == CLASSIFICATION_SCHEMA
    assert result["input"].to_pylist() == codes
    expected = [tier_of.get(code[:6]) for code in codes]
    assert result["tier"].to_pylist() == expected
    flagged = sum(t is not None for t in expected)
    statuses = pc.value_counts(result["status"]).to_pylist()
    assert {s["values"]: s["counts"] for s in statuses} == {
        "exact": flagged,
        "none": len(codes) - flagged,
    }
    assert flagged == 201  # 10-digit TN VED codes under the 50 CHPL subheadings
    assert set(result.filter(pc.equal(result["status"], "exact"))["category"].to_pylist()) == {
        "CHPL"
    }


def test_vendor_sample_codes_give_no_chpl_flag() -> None:
    folder = shared_path("trade", "vendor_samples_csv")
    codes = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            column = next((c for c in reader.fieldnames or [] if c in ("HS_CODE", "HS CODE")), None)
            if column:
                codes.extend(r[column] for r in reader)
    assert len(codes) > 10_000
    result = classify_hs_codes(codes)
    assert result["status"].to_pylist() == ["none"] * len(codes)
    assert result["category"].null_count == len(codes)


# --------------------------------------------------------------------------- formats


def formats(code: str) -> dict[str, str]:
    """The ways trade files write one HS6 code."""
    return {
        "hs6": code,
        "dotted": f"{code[:4]}.{code[4:]}",
        "float": f"{float(code)!r}",
        "cn8": code + "00",
        "cn8_dotted": f"{code[:4]}.{code[4:]}.00",
        "tnved10": code + "0000",
        "spaced10": f"{code[:4]} {code[4:]} 000 0",
        "armenia11": code + "00000",
        "scientific": f"{int(code):.5E}",
        "scientific10": f"{int(code + '0000'):.9E}",
        "quoted": f"'{code}",
    }


def test_every_chpl_code_in_every_format(tier_of: dict[str, str]) -> None:
    raws, expected = [], []
    for code, tier in tier_of.items():
        for raw in formats(code).values():
            raws.append(raw)
            expected.append((code, tier))
    result = classify_hs_codes(raws)
    assert list(zip(result["hs6"].to_pylist(), result["tier"].to_pylist(), strict=True)) == expected
    assert set(result["status"].to_pylist()) == {"exact"}
    assert set(result["category"].to_pylist()) == {"CHPL"}


def test_numeric_columns_are_read_without_float_artefacts(tier_of: dict[str, str]) -> None:
    codes = list(tier_of)
    as_float = pa.array([float(c) for c in codes], pa.float64())
    as_int = pa.array([int(c) for c in codes], pa.int64())
    for column in (as_float, as_int, pa.chunked_array([as_int[:20], as_int[20:]])):
        result = classify_hs_codes(column)
        assert result["hs6"].to_pylist() == codes
        assert result["tier"].to_pylist() == list(tier_of.values())


def test_lost_leading_zero_is_restored_before_matching(tmp_path: Path) -> None:
    # No CHPL code starts with 0, so a chapter-03 list shows the repair.
    fish = custom(tmp_path, [row("0304.61", tier="F"), row("03", tier="CH")])
    result = classify_hs_codes(["30461", "3046100", "3.0461E+4", "0304.61", "30291"], fish)
    assert result["code"].to_pylist() == ["030461", "03046100", "030461", "030461", "030291"]
    assert result["tier"].to_pylist() == ["F", "F", "F", "F", "CH"]
    assert "restored leading zero" in result["hs_issue"][0].as_py()


def test_invalid_missing_and_unlisted_values() -> None:
    values = ["abc", "8542", "", None, "   ", "690721", "0000000000", "77123456"]
    result = classify_hs_codes(values)
    assert result["status"].to_pylist() == [
        "invalid",
        "invalid",
        "missing",
        "missing",
        "missing",
        "none",
        "invalid",
        "invalid",
    ]
    assert "too short" in result["hs_issue"][1].as_py()
    assert set(result["status"].to_pylist()) <= set(STATUSES)
    assert result["category"].null_count == len(values)


# --------------------------------------------------------------------------- HS editions


def test_hs2017_codes_find_their_chpl_successors() -> None:
    for value in ("854890", "8548900000", "8548.90"):
        found = one(value)
        assert found["status"] == "possible"  # 854890 was split into 16 HS 2022 subheadings
        assert found["candidates"] == ["852990", "854151", "854159", "854800"]
        assert found["tier"] == "2; 3.A"  # 854800 is tier 2; the others 3.A
        assert "read as HS 2017" in found["hs_issue"]
    found = one("852580")
    assert (found["status"], found["candidates"], found["tier"]) == ("possible", ["852589"], "3.A")


def test_forced_vintage() -> None:
    assert one("854890", vintage="2022")["status"] == "none"
    assert "HS 2017 subheading" in one("854890", vintage="2022")["hs_issue"]
    assert one("854890", vintage=2017)["candidates"] == ["852990", "854151", "854159", "854800"]
    # 854231 existed in HS 2017 too, but part of it went to the new e-waste heading 8549
    forced = one("854231", vintage="2017")
    assert (forced["status"], forced["candidates"], forced["tier"]) == ("possible", ["854231"], "1")
    unknown = one("852589", vintage="2017")  # created in HS 2022
    assert unknown["status"] == "none"
    assert "not in the HS 2017 -> HS 2022 correlation" in unknown["hs_issue"]
    with pytest.raises(ValueError, match="unknown HS edition"):
        classify_hs_codes(["854231"], vintage="2012")


def test_renumbered_and_merged_codes_are_exact(tmp_path: Path) -> None:
    categories = custom(
        tmp_path,
        [row("030910", tier="R"), row("040320", tier="M"), row("2844", tier="H")],
    )
    assert one("030510", categories)["status"] == "exact"  # 1:1, renumbered to 030910
    merged = one("0403100000", categories)  # 1:n: merged into 040320
    assert (merged["status"], merged["tier"], merged["candidates"]) == ("exact", "M", ["040320"])
    split = one("284440", categories)  # split into 284441-284444, all under listed 2844
    assert (split["status"], split["tier"]) == ("exact", "H")
    assert split["candidates"] == ["284441", "284442", "284443", "284444"]


def test_hs2022_data_against_an_hs2017_list(tmp_path: Path) -> None:
    old_list = custom(
        tmp_path, [row("854890", tier="old", hs_edition="2017"), row("040310", hs_edition="2017")]
    )
    assert one("854800", old_list)["status"] == "exact"  # its only HS 2017 source
    possible = one("040320", old_list)  # labelled 1:n: came from 040310 and part of 190190
    assert (possible["status"], possible["candidates"]) == ("possible", ["040310"])
    assert one("854231", old_list)["status"] == "none"


# --------------------------------------------------------------------------- prefixes


def test_longest_prefix_per_category_and_longer_national_codes(tmp_path: Path) -> None:
    categories = custom(
        tmp_path,
        [row("8542", tier="B"), row("854231", tier="A"), row("85423190", tier="N")],
    )
    assert one("8542390000", categories)["tier"] == "B"
    assert one("8542311000", categories)["tier"] == "A"
    assert one("8542319000", categories)["tier"] == "N"
    short = one("854231", categories)  # listed; may also be the listed CN8
    assert (short["status"], short["tier"], short["candidates"]) == ("exact", "A; N", ["85423190"])
    only_longer = custom(tmp_path, [row("85423190", tier="N")], name="cn8.csv")
    found = one("854231", only_longer)  # may or may not be the listed CN8
    assert (found["status"], found["tier"], found["candidates"]) == ("possible", "N", ["85423190"])
    assert one("8542311000", only_longer)["status"] == "none"


def test_several_categories_are_all_reported(tmp_path: Path) -> None:
    extra = write_categories(tmp_path / "eu.csv", [row("8542", category="EU_XXIII")])
    bundled = load_categories()
    both = pa.concat_tables([bundled, load_categories([extra])])
    found = one("8542310000", both)
    assert (found["category"], found["tier"], found["status"]) == ("CHPL; EU_XXIII", "1", "exact")
    assert one("8542900000", both)["category"] == "EU_XXIII"


# --------------------------------------------------------------------------- dates


def test_entries_apply_only_while_in_force(tmp_path: Path) -> None:
    categories = custom(
        tmp_path,
        [
            row("8542", tier="2", valid_to="2023-12-31"),
            row("8542", tier="1", valid_from="2024-01-01", valid_to="2024-06-30"),
        ],
    )
    dates = ["2023-12-31", "2024-01-01", "2023-12", "2024-07", "31.12.2023", "soon", None]
    result = classify_hs_codes(["854231"] * len(dates), categories, dates=dates)
    # a month overlapping a window, an unreadable or missing date keep the entry (never hide)
    assert result["tier"].to_pylist() == ["2", "1", "2", None, "2", "2; 1", "2; 1"]
    assert result["status"].to_pylist()[3] == "none"
    with pytest.raises(ValueError, match="3 dates for 7 values"):
        classify_hs_codes(["854231"] * 7, categories, dates=dates[:3])


# --------------------------------------------------------------------------- scale


def test_rows_are_classified_once_per_distinct_value_and_kept_in_order() -> None:
    distinct = ["854231", "854890", "abc", None, "6907210000", "8542.31", "852580"]
    per_value = classify_hs_codes(distinct).drop_columns(["input"]).to_pylist()
    positions = [(i * 3) % len(distinct) for i in range(40_000)]
    column = pa.array(distinct).take(pa.array(positions))
    dates = pa.array(["2024-01-01", "2023-05-02"] * (len(positions) // 2 + 1))[: len(positions)]
    for result in (classify_hs_codes(column), classify_hs_codes(column, dates=dates)):
        assert result.num_rows == len(positions)
        assert result["input"].combine_chunks().equals(column)
        rows = result.drop_columns(["input"]).slice(0, 50).to_pylist()
        assert rows == [per_value[p] for p in positions[:50]]
        counts = pc.value_counts(result["status"]).to_pylist()
        assert {c["values"]: c["counts"] for c in counts}["possible"] == sum(
            1 for p in positions if distinct[p] in ("854890", "852580")
        )
