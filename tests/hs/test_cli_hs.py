"""`dualuse hs`: codes on the command line, and a column of CSV, XLSX and Parquet files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from screening.cli_hs import OUTPUT_COLUMNS, hs_command
from screening.errors import ListParseError, TradeReadError
from tests.conftest import shared_path
from tests.hs.test_categories import row, write_categories


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(hs_command, [str(a) for a in args])


def read_output(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_codes_are_printed_as_a_table() -> None:
    result = run("8542.31", "854890", "6907219009", "abc")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "input",
        "code",
        "status",
        "category",
        "tier",
        "candidates",
        "description",
    ]
    assert lines[2].split()[:5] == ["8542.31", "854231", "exact", "CHPL", "1"]
    assert lines[3].split()[:6] == ["854890", "854890", "possible", "CHPL", "2;", "3.A"]
    assert "852990, 854151, 854159, 854800" in lines[3]
    assert lines[4].split() == ["6907219009", "6907219009", "none"]
    assert lines[5].split() == ["abc", "invalid"]
    assert "abc: not an HS code" in result.output


def test_csv_column_gives_one_row_per_data_row_in_order(tmp_path: Path) -> None:
    source = tmp_path / "trade.csv"
    source.write_text(
        "id,HS CODE,note\n"
        "1,8542.31,a\n"
        "2,0304.61,b\n"
        "3,30461,c\n"
        "4,,d\n"
        "5,8525 80 000 0,e,unexpected\n"
        "\n"
        "6,8.54231E+5,f\n"
        "7,854890,g\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "classified.csv"
    result = run(source, "--column", "HS CODE", "--out", out)
    assert result.exit_code == 0, result.output
    assert "7 rows (exact 2, possible 1, none 2, invalid 1, missing 1)" in result.output
    table = read_output(out)
    assert tuple(table.columns) == OUTPUT_COLUMNS
    assert table["input"].tolist() == [
        "8542.31",
        "0304.61",
        "30461",
        "",
        "",
        "8.54231E+5",
        "854890",
    ]
    assert table["code"].tolist() == ["854231", "030461", "030461", "", "", "854231", "854890"]
    assert table["status"].tolist() == [
        "exact",
        "none",
        "none",
        "missing",
        "invalid",
        "exact",
        "possible",
    ]
    assert table["tier"].tolist()[0] == "1"
    assert (
        table["hs_issue"][4]
        == "row 6 could not be read: wrong number of fields: expected 3, found 4"
    )
    assert table["candidates"][6] == "852990; 854151; 854159; 854800"


def test_xlsx_numbers_and_banner(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Customs extract, generated 2025-03-01"])
    sheet.append([])
    sheet.append(["Date", "Tariff code"])
    for value in (854231, 8542.31, 854231.0, 30461, "8542310000", 852580):
        sheet.append(["2025-01-01", value])
    path = tmp_path / "extract.xlsx"
    workbook.save(path)
    out = tmp_path / "out.csv"
    result = run(path, "--column", "tariff code", "--out", out)
    assert result.exit_code == 0, result.output
    table = read_output(out)
    assert table["input"].tolist() == [
        "854231",
        "8542.31",
        "854231",
        "30461",
        "8542310000",
        "852580",
    ]
    assert table["code"].tolist() == [
        "854231",
        "854231",
        "854231",
        "030461",
        "8542310000",
        "852580",
    ]
    assert table["status"].tolist() == ["exact"] * 3 + ["none", "exact", "possible"]


def test_parquet_float_column_and_options(tmp_path: Path) -> None:
    path = tmp_path / "codes.parquet"
    pq.write_table(
        pa.table({"hs": pa.array([854231.0, 854890.0, None, 847150.0], pa.float64())}), path
    )
    out = tmp_path / "out.csv"
    assert run(path, "--column", "hs", "--out", out, "--vintage", "2022").exit_code == 0
    table = read_output(out)
    assert table["input"].tolist() == ["854231", "854890", "", "847150"]
    assert table["status"].tolist() == ["exact", "none", "missing", "exact"]
    assert table["tier"].tolist() == ["1", "", "", "3.A"]  # tier as written

    categories = write_categories(tmp_path / "mine.csv", [row("8471", tier="X")])
    assert run(path, "--column", "hs", "--out", out, "--categories", categories).exit_code == 0
    table = read_output(out)
    assert table["category"].tolist() == ["", "", "", "TEST"]
    assert table["tier"].tolist() == ["", "", "", "X"]


def test_date_column_limits_dated_entries(tmp_path: Path) -> None:
    source = tmp_path / "dated.csv"
    source.write_text("hs_code,date\n854231,2023-12-31\n854231,2024-02\n", encoding="utf-8")
    categories = write_categories(
        tmp_path / "dated_list.csv", [row("8542", valid_from="2024-01-01")]
    )
    out = tmp_path / "out.csv"
    result = run(
        source, "--column", "hs_code", "--date-column", "date", "--out", out,
        "--categories", categories,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_output(out)["status"].tolist() == ["none", "exact"]


def test_vendor_sample_file_gives_no_flag(tmp_path: Path) -> None:
    source = shared_path("trade", "vendor_samples_xlsx", "Russia_Import_Short.xlsx")
    out = tmp_path / "out.csv"
    result = run(source, "--column", "HS_CODE", "--out", out)
    assert result.exit_code == 0, result.output
    table = read_output(out)
    assert len(table) == 1000
    assert set(table["status"]) == {"none"}
    assert table["code"].str.len().eq(10).all()


def test_usage_and_input_errors_are_named(tmp_path: Path) -> None:
    source = tmp_path / "trade.csv"
    source.write_text("id,hs\n1,854231\n", encoding="utf-8")
    result = run(source)
    assert result.exit_code == 2
    assert "add --column" in result.output
    result = run(source, source, "--column", "hs", "--out", tmp_path / "o.csv")
    assert result.exit_code == 2
    result = run(source, "--column", "HS_CODE", "--out", tmp_path / "o.csv")
    assert isinstance(result.exception, TradeReadError)
    assert "no column 'HS_CODE'; columns: ['id', 'hs']" in str(result.exception)
    bad = write_categories(tmp_path / "bad.csv", [row("85423")])
    result = run("854231", "--categories", bad)
    assert isinstance(result.exception, ListParseError)
    assert "bad.csv, row 2, column 'code_prefix'" in str(result.exception)
    result = run(tmp_path / "codes.ods", "--column", "hs", "--out", tmp_path / "o.csv")
    assert isinstance(result.exception, TradeReadError)


@pytest.mark.parametrize("vintage", ["2017", "2022"])
def test_vintage_option(vintage: str) -> None:
    result = run("854890", "--vintage", vintage)
    assert result.exit_code == 0, result.output
    status = result.output.splitlines()[2].split()[2]
    assert status == ("possible" if vintage == "2017" else "none")
