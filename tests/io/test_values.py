"""Dates and amounts that cannot be read keep their record and say why (date_issue,
value_issue); every vendor file's dates agree with the vendor's own month column."""

from __future__ import annotations

import calendar
import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.io import load_trade_file
from screening.io.values.dates import DateReader, read_date
from screening.io.values.numbers import parse_numbers
from screening.pipeline import screen_chunk
from tests.conftest import shared_path

MONTHS = {calendar.month_abbr[i].upper(): i for i in range(1, 13)}


def _csv(tmp_path, rows: list[str]):
    path = tmp_path / "odd_values.csv"
    path.write_text(
        "EXPORTER_NAME,HS_CODE,DATE,TOTAL_VALUE_USD,QUANTITY\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


def test_odd_values_and_dates_keep_their_record_with_the_reason(tmp_path, small_reference):
    path = _csv(
        tmp_path,
        [
            "A LLC,854231,2023-02-30,inf,1",
            "B LLC,854231,yesterday,1e309,2",
            "C LLC,1E5000,2024-01-31,-5,-1",
            "D LLC,854231,03/04/2025,12.5,abc",
            "E LLC,854231,2024-01-31,100,3",
        ],
    )
    loaded = load_trade_file(path)
    table = loaded.table
    assert loaded.rows_in == table.num_rows == 5
    assert table.column("date").to_pylist() == [
        "2023-02-30",
        "yesterday",
        "2024-01-31",
        "03/04/2025",
        "2024-01-31",
    ]
    issues = table.column("date_issue").to_pylist()
    assert "not a calendar date" in issues[0]
    assert issues[1] == "not a date: 'yesterday'"
    assert "day/month order unknown" in issues[3]
    assert issues[2] is None and issues[4] is None
    assert table.column("value").to_pylist() == [None, None, -5.0, 12.5, 100.0]
    value_issues = table.column("value_issue").to_pylist()
    assert value_issues[0] == "value: not a number ('inf')"
    assert value_issues[1] == "value: too large for a number (overflow) ('1e309')"
    assert value_issues[2] == "value: negative ('-5'); quantity: negative ('-1')"
    assert value_issues[3] == "quantity: not a number ('abc')"
    assert value_issues[4] is None

    reference, config = small_reference
    screened, _ = screen_chunk(table, reference, config)  # 1E5000 used to crash the run here
    assert screened.num_rows == 5
    hs = dict(zip(screened["exporter"].to_pylist(), screened["hs_issue"].to_pylist(), strict=True))
    assert "too long" in hs["C LLC"]
    assert screened.column("hs_status").to_pylist()[2] == "invalid"
    assert "date_issue" in screened.column_names and "value_issue" in screened.column_names


def test_parse_numbers_reasons():
    values, issues = parse_numbers(pa.array(["1,234.5", "12,5", "NaN", None, "-0.5"]), "value")
    assert values.to_pylist() == [1234.5, 12.5, None, None, -0.5]
    assert issues.to_pylist() == [
        None,
        None,
        "value: not a number ('NaN')",
        None,
        "value: negative ('-0.5')",
    ]


@pytest.mark.parametrize(
    ("text", "iso", "issue"),
    [
        ("2025-04-25T18:30:00.000Z", "2025-04-25", None),  # one cell alone: the date as written
        ("13/04/2025", "2025-04-13", None),
        ("04/13/2025", "2025-04-13", None),
        ("0001-01-01", None, "year 1 outside 1900-2200"),
        ("2023-13", None, "no month 13"),
        ("9" * 200, None, "not a date (text too long)"),
    ],
)
def test_read_date(text, iso, issue):
    reading = read_date(text)
    assert (reading.iso, reading.issue) == (iso, issue)


def test_utc_timestamps_at_one_afternoon_time_are_local_midnights():
    reader = DateReader()
    dates, issues = reader.read(
        pa.array(["2024-12-31T18:30:00.000Z", "2025-03-28T18:30:00.000Z", None])
    )
    assert dates.to_pylist() == ["2025-01-01", "2025-03-29", None]
    assert issues.null_count == 3
    assert "UTC+05:30" in reader.notes("IMP_DATE")[0]
    varied = DateReader()
    dates, _ = varied.read(pa.array(["2025-03-28T18:30:00Z", "2025-03-28T09:12:00Z"]))
    assert dates.to_pylist() == ["2025-03-28", "2025-03-28"]  # real times: dates as written


def _vendor_month(cell: str) -> str:
    month, year = re.fullmatch(r"([A-Za-z]{3})\w* (\d{4})", cell.strip()).groups()
    return f"{year}-{MONTHS[month.upper()]:02d}"


@pytest.mark.parametrize("folder", ["vendor_samples_xlsx", "vendor_samples_csv"])
def test_every_vendor_file_has_right_dates(folder):
    """Each of the 36 files (as .xlsx and as the .csv conversion): every date is read, with no
    issue, and a day date falls in the month the vendor's own MONTHYEAR column gives."""
    files = sorted(shared_path("trade", folder).iterdir())
    files = [f for f in files if f.suffix in (".xlsx", ".csv")]
    assert len(files) == 36
    checked_against_month = 0
    for path in files:
        loaded = load_trade_file(path)
        table = loaded.table
        assert "date" in loaded.mapping, path.name
        dates = table.column("date").to_pylist()
        assert table.column("date_issue").null_count == table.num_rows, path.name
        assert all(re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", d) for d in dates if d), path.name
        if "src_MONTHYEAR" in table.column_names and loaded.mapping["date"] != "MONTHYEAR":
            months = [_vendor_month(m) for m in table.column("src_MONTHYEAR").to_pylist()]
            assert [d[:7] for d in dates] == months, path.name
            checked_against_month += table.num_rows
    assert checked_against_month == 2000  # India_Import_S and India_Export_S_output_excel


def test_india_import_dates_are_local_days():
    loaded = load_trade_file(shared_path("trade", "vendor_samples_xlsx", "India_Import_S.xlsx"))
    table = loaded.table
    # IMP_DATE 2024-12-31T18:30:00.000Z with MONTHYEAR "Jan 2025" (the issue's example row 4)
    row = table.filter(pc.equal(table["source_row"], 4)).to_pylist()[0]
    assert (row["src_IMP_DATE"], row["src_MONTHYEAR"], row["date"]) == (
        "2024-12-31T18:30:00.000Z",
        "Jan 2025",
        "2025-01-01",
    )
    assert any("local midnight in UTC+05:30" in n for n in loaded.notes)


def test_comtrade_dates_agree_with_their_year_and_month_columns():
    for path in sorted(shared_path("trade", "comtrade_armenia").glob("*.csv")):
        table = load_trade_file(path).table
        assert table.column("date_issue").null_count == table.num_rows, path.name
        expected = [
            f"{int(y):04d}-{int(m):02d}"
            for y, m in zip(
                table["src_year"].to_pylist(), table["src_month"].to_pylist(), strict=True
            )
        ]
        assert [d[:7] for d in table.column("date").to_pylist()] == expected, path.name
