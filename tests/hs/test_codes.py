"""HS-code normalisation: the formats trade files really contain, and real national codes."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.hs import match_code_prefixes, normalise_hs_code, normalise_hs_codes
from tests.conftest import shared_path

# raw value -> (hs_code, hs6, status, substring expected in hs_issue or None for no issue)
CASES = [
    ("854231", "854231", "854231", "valid", None),
    ("8542.31", "854231", "854231", "valid", None),
    ("8542-31", "854231", "854231", "valid", None),
    ("85.42.31", "854231", "854231", "valid", None),
    ("854231.0", "854231", "854231", "valid", "float artefact removed"),
    ("8.54231E+5", "854231", "854231", "valid", "scientific notation"),
    ("85423100", "85423100", "854231", "valid", None),
    ("8542310000", "8542310000", "854231", "valid", None),
    ("85423100009", "85423100009", "854231", "valid", None),
    ("8542 31 000 0", "8542310000", "854231", "valid", None),
    ("8542.31.00.00", "8542310000", "854231", "valid", None),
    ("  8542.31  ", "854231", "854231", "valid", None),
    ("'030490", "030490", "030490", "valid", "not in HS 2022"),
    ("30490", "030490", "030490", "valid", "restored leading zero"),
    ("304.90", "030490", "030490", "valid", "restored leading zero"),
    ("101210000", "0101210000", "010121", "valid", "restored leading zero"),
    ("6.9072190090E10", "69072190090", "690721", "valid", "scientific notation"),
    ("3.0490E+4", "030490", "030490", "valid", "restored leading zero"),
    ("8.54231E+9", "8542310000", "854231", "valid", "hidden by scientific notation"),
    ("8542.3", "854230", "854230", "valid", "restored trailing zero"),
    ("８５４２３１", "854231", "854231", "valid", None),
    ("851712", "851712", "851712", "valid", "HS 2017"),
    ("8.5423E+9", None, None, "invalid", "cannot be recovered"),
    ("abc", None, None, "invalid", "not an HS code"),
    ("HS 854231", None, None, "invalid", "not an HS code"),
    ("8542", None, None, "invalid", "too short"),
    ("123456789012", None, None, "invalid", "too long"),
    ("000000", None, None, "invalid", "chapter 00"),
    ("770000", None, None, "invalid", "chapter 77"),
    ("", None, None, "missing", None),
    ("   ", None, None, "missing", None),
    (None, None, None, "missing", None),
]


@pytest.mark.parametrize(("raw", "hs_code", "hs6", "status", "issue"), CASES)
def test_case_table(
    raw: str | None, hs_code: str | None, hs6: str | None, status: str, issue: str | None
) -> None:
    row = normalise_hs_codes([raw]).to_pylist()[0]
    assert row["hs_code_raw"] == raw
    assert (row["hs_code"], row["hs6"], row["hs_status"]) == (hs_code, hs6, status)
    if issue is None:
        assert row["hs_issue"] is None
    else:
        assert issue in row["hs_issue"]


def test_columns_keep_row_order_and_match_single_values() -> None:
    raws = [raw for raw, *_ in CASES] * 3
    chunked = pa.chunked_array([pa.array(raws[:40], pa.string()), pa.array(raws[40:], pa.string())])
    table = normalise_hs_codes(chunked)
    assert table.column_names == ["hs_code_raw", "hs_code", "hs6", "hs_status", "hs_issue"]
    assert table.num_rows == len(raws)
    for raw, row in zip(raws, table.to_pylist(), strict=True):
        assert (row["hs_code"], row["hs_status"], row["hs_issue"]) == normalise_hs_code(raw)


def test_numeric_columns_are_read_as_codes() -> None:
    floats = normalise_hs_codes(pa.array([854231.0, 30490.0, 69072190090.0, None]))
    assert floats["hs_code"].to_pylist() == ["854231", "030490", "69072190090", None]
    assert floats["hs_status"].to_pylist() == ["valid", "valid", "valid", "missing"]
    ints = normalise_hs_codes(pa.array([8542310000, 101210000], pa.int64()))
    assert ints["hs_code"].to_pylist() == ["8542310000", "0101210000"]


def test_nomenclature_check_can_be_switched_off() -> None:
    assert "not in HS 2022" in normalise_hs_codes(["854200"])["hs_issue"][0].as_py()
    assert normalise_hs_codes(["854200"], check_nomenclature=False)["hs_issue"][0].as_py() is None


def _tnved_codes() -> list[str]:
    path = shared_path("hs", "tnved_eaeu_2022_ru.csv")
    with path.open(encoding="utf-8") as fh:
        return [row["code"] for row in csv.DictReader(fh) if row["level"] == "10"]


def test_every_tnved_code_survives_the_ways_excel_mangles_it() -> None:
    """Each real 10-digit TN VED code, as text, dotted, as a float (leading zero lost) and in
    full-precision scientific notation, normalises back to itself with an HS 2022 HS6."""
    codes = _tnved_codes()
    assert len(codes) > 10_000
    variants = {
        "as text": codes,
        "dotted": [f"{c[:4]}.{c[4:6]}.{c[6:]}" for c in codes],
        "float": [f"{float(c)!r}" for c in codes],
        "scientific": [f"{int(c):.9E}" if int(c) >= 10**9 else f"{int(c):.8E}" for c in codes],
    }
    for label, raws in variants.items():
        table = normalise_hs_codes(raws)
        assert table["hs_code"].to_pylist() == codes, label
        assert pc.all(pc.equal(table["hs_status"], "valid")).as_py(), label
        issues = {i for i in table["hs_issue"].to_pylist() if i}
        assert not any("not in HS 2022" in i for i in issues), label


def test_comtrade_commodity_codes_hs6_valid_hs4_too_short() -> None:
    path = shared_path("trade", "comtrade_armenia", "vehicle_trade_armenia.csv")
    with path.open(encoding="cp1252") as fh:
        codes = [row["commodity_code"] for row in csv.DictReader(fh)]
    table = normalise_hs_codes(codes)
    for raw, status, issue in zip(
        codes, table["hs_status"].to_pylist(), table["hs_issue"].to_pylist(), strict=True
    ):
        if len(raw) == 6:
            assert status == "valid"
        else:
            assert (len(raw), status) == (4, "invalid")
            assert "too short" in issue


def test_longest_prefix_wins() -> None:
    prefixes = pa.array(["85", "8542", "854231"])
    codes = pa.array(["8542310000", "854239", "851762", "847150", None, "8"])
    assert match_code_prefixes(codes, prefixes).to_pylist() == [2, 1, 0, None, None, None]


def test_huge_scientific_notation_is_invalid_at_once():
    """1E5000 crashed a run (int of 5001 digits); 1E9999999 ran for minutes."""
    import time

    from screening.hs.codes import normalise_hs_code

    started = time.perf_counter()
    for text in ("1E5000", "1E9999999", "9.9E+99999999"):
        digits, status, issue = normalise_hs_code(text)
        assert (digits, status) == (None, "invalid")
        assert issue.startswith("too long")
    assert normalise_hs_code("8" * 5000)[2] == "not an HS code: 5,000 characters"
    assert time.perf_counter() - started < 1
