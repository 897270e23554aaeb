"""CHPL loading and classification, on the bundled table and on real national codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.errors import ListParseError
from screening.hs import CHPL_FILE, CHPL_TIERS, classify_chpl, load_chpl, normalise_hs_codes
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def chpl():
    return load_chpl()


@pytest.fixture(scope="module")
def tier_of(chpl) -> dict[str, str]:
    return dict(zip(chpl["hs6"].to_pylist(), chpl["tier"].to_pylist(), strict=True))


def test_bundled_table_is_the_fifty_codes_with_string_tiers(chpl, tier_of) -> None:
    assert chpl.column_names == ["hs6", "tier", "description", "tier_summary"]
    assert chpl.num_rows == 50  # the CHPL of 2024-02-23 has 50 items (SOURCES.md)
    assert chpl.schema.field("tier").type == pa.string()
    assert set(tier_of.values()) == set(CHPL_TIERS)
    assert tier_of["854231"] == "1"
    assert all(d for d in chpl["description"].to_pylist())


def _formats(code: str) -> dict[str, str]:
    """The ways a trade file writes one HS6 code (national codes extend it with zeros)."""
    return {
        "hs6": code,
        "dotted": f"{code[:4]}.{code[4:]}",
        "float": f"{float(code)!r}",
        "cn8": code + "00",
        "tnved10": code + "0000",
        "armenia11": code + "00000",
        "spaced10": f"{code[:4]} {code[4:]} 000 0",
        "scientific": f"{int(code):.5E}",
        "scientific10": f"{int(code + '0000'):.9E}",
    }


def test_every_chpl_code_in_every_format_gets_its_tier(chpl, tier_of) -> None:
    raws, expected = [], []
    for code, tier in tier_of.items():
        for raw in _formats(code).values():
            raws.append(raw)
            expected.append(tier)
    codes = normalise_hs_codes(raws)
    assert pc.all(pc.equal(codes["hs_status"], "valid")).as_py()
    assert classify_chpl(codes["hs6"], chpl)["chpl_tier"].to_pylist() == expected
    # national codes classify the same as their HS6
    assert classify_chpl(codes["hs_code"], chpl)["chpl_tier"].to_pylist() == expected


def test_neighbouring_and_invalid_codes_are_not_chpl(chpl) -> None:
    codes = normalise_hs_codes(["854210", "8542", "abc", "", None, "854290", "84715"])
    result = classify_chpl(codes["hs6"], chpl)
    assert result.column_names == ["chpl_tier", "chpl_description"]
    assert result["chpl_tier"].null_count == result.num_rows


def test_tnved_codes_get_the_tier_of_their_hs6_and_no_others(chpl, tier_of) -> None:
    path = shared_path("hs", "tnved_eaeu_2022_ru.csv")
    with path.open(encoding="utf-8") as fh:
        codes = [row["code"] for row in csv.DictReader(fh) if row["level"] == "10"]
    normalised = normalise_hs_codes(codes)
    tiers = classify_chpl(normalised["hs6"], chpl)["chpl_tier"].to_pylist()
    assert tiers == [tier_of.get(code[:6]) for code in codes]
    hits = [code for code, tier in zip(codes, tiers, strict=True) if tier]
    covered = {code[:6] for code in hits}
    print(
        f"TN VED: {len(hits)} of {len(codes)} ten-digit codes are CHPL; "
        f"{len(covered)} of {len(tier_of)} CHPL codes have a TN VED code; "
        f"missing {sorted(set(tier_of) - covered)}"
    )
    assert len(hits) > len(covered) >= 40


def _vendor_hs_codes() -> list[str]:
    folder = shared_path("trade", "vendor_samples_csv")
    codes = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            column = next((c for c in reader.fieldnames or [] if c in ("HS_CODE", "HS CODE")), None)
            if column:
                codes.extend(row[column] for row in reader)
    return codes


def test_vendor_codes_are_valid_and_none_is_chpl(chpl) -> None:
    codes = _vendor_hs_codes()
    assert len(codes) > 10_000
    normalised = normalise_hs_codes(codes)
    assert pc.all(pc.equal(normalised["hs_status"], "valid")).as_py()
    assert classify_chpl(normalised["hs6"], chpl)["chpl_tier"].null_count == len(codes)


def _write_chpl(tmp_path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with CHPL_FILE.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        real_header = next(reader)
        real_rows = [next(reader) for _ in range(3)]
    path = tmp_path / "chpl.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or real_header)
        writer.writerows(real_rows + rows)
    return path


@pytest.mark.parametrize(
    ("bad_row", "column", "message"),
    [
        (["85423", "1", "d", "s", "8542.3", "t"], "hs6", "six-digit"),
        (["854231", "1", "d", "s", "8542.31", "t"], "hs6", "listed twice"),
        (["847150", "3A", "d", "s", "8471.50", "t"], "tier", "unknown tier"),
    ],
)
def test_bad_rows_are_named_by_file_row_and_column(
    tmp_path: Path, bad_row: list[str], column: str, message: str
) -> None:
    path = _write_chpl(tmp_path, [bad_row])
    with pytest.raises(ListParseError, match=message) as caught:
        load_chpl(path)
    assert (caught.value.file, caught.value.row, caught.value.column) == (path, 5, column)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "chpl.csv"
    path.write_text("hs6,level,description,tier_summary\n854231,1,d,s\n", encoding="utf-8")
    with pytest.raises(ListParseError, match="missing column") as caught:
        load_chpl(path)
    assert caught.value.column == "tier"
