"""Cells that used to mislead: empty files, a long cell in the header scan, nested Parquet
values, and Unicode look-alikes of formula characters in files analysts open."""

from __future__ import annotations

import codecs

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from screening.errors import TradeReadError
from screening.io import escape_formulas_in_table, escape_spreadsheet_formula, load_trade_file
from screening.io.writers import write_csv_atomic


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file: no header and no rows"),
        (codecs.BOM_UTF8, "empty file: no header and no rows"),
        (b"\n\n  \n", "empty file: no header and no rows"),
        (b"\n,,\n,,\n", "no header: the first 3 row(s) are all empty"),
    ],
)
def test_empty_files_say_so(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(TradeReadError) as error:
        load_trade_file(path)
    assert str(error.value) == f"{path}: {message}"
    assert "columns seen" not in str(error.value)


def test_a_cell_over_128_kb_in_the_header_scan_is_data(tmp_path):
    """The csv module's 128 KB field limit used to reject the whole file as unmappable."""
    long = "TILES " * 40_000  # 240 KB in one quoted description
    path = tmp_path / "long_cell.csv"
    path.write_text(
        f'EXPORTER_NAME,HS_CODE,HS_CODE_DESCRIPTION\nA LLC,690721,"{long}"\nB LLC,690722,short\n',
        encoding="utf-8",
    )
    loaded = load_trade_file(path)
    assert loaded.rows_in == 2
    assert loaded.mapping["description"] == "HS_CODE_DESCRIPTION"
    assert loaded.table.column("description").to_pylist() == [long.strip(), "short"]


def test_parquet_nested_and_binary_cells_are_json_and_hex(tmp_path):
    path = tmp_path / "nested.parquet"
    pq.write_table(
        pa.table(
            {
                "EXPORTER_NAME": ["A LLC", "B LLC"],
                "HS_CODE": ["854231", "854232"],
                "TAGS": pa.array([["dual use", "Ž"], None]),
                "PARTY": pa.array([{"name": "OOO Vesna", "inn": 7701}, None]),
                "BLOB": pa.array([b"\x00\xff\x10", b"plain text"]),
                "ATTRS": pa.array([[("k", "v")], None], pa.map_(pa.string(), pa.string())),
            }
        ),
        path,
    )
    record = load_trade_file(path).table.to_pylist()[0]
    assert record["src_TAGS"] == '["dual use", "Ž"]'
    assert record["src_PARTY"] == '{"name": "OOO Vesna", "inn": 7701}'
    assert record["src_BLOB"] == "0x00ff10"
    assert record["src_ATTRS"] == '{"k": "v"}'
    second = load_trade_file(path).table.to_pylist()[1]
    assert (second["src_TAGS"], second["src_BLOB"]) == (None, "plain text")


@pytest.mark.parametrize(
    "text",
    ['＝HYPERLINK("http://x")', "＋1+2", "－2+3", "＠SUM(A1)", "﹦1", "−cmd", "➕1", "⁼1"],
)
def test_formula_look_alikes_are_escaped(text):
    assert escape_spreadsheet_formula(text) == "'" + text
    escaped = escape_formulas_in_table(pa.table({"name": [text, "plain"]}))
    assert escaped.column("name").to_pylist() == ["'" + text, "plain"]


def test_look_alikes_are_escaped_in_written_csv(tmp_path):
    out = write_csv_atomic(
        pa.table({"importer": ["＝CMD|' /C calc'!A0", "-5", "OOO"]}), tmp_path / "x.csv"
    )
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == "\"'＝CMD|' /C calc'!A0\""
    assert lines[2:] == ['"-5"', '"OOO"']


def test_old_mac_line_endings_are_rows(tmp_path):
    """A file with CR-only line endings used to be refused as "cannot be split as CSV"."""
    path = tmp_path / "classic_mac.csv"
    path.write_bytes(b"EXPORTER_NAME,HS_CODE\rA LLC,854231\rB LLC,854232\r")
    loaded = load_trade_file(path)
    assert loaded.table.column("exporter").to_pylist() == ["A LLC", "B LLC"]
    assert loaded.table.column("source_row").to_pylist() == [2, 3]


def test_latin_code_pages_are_told_apart_by_the_letters_names_use(tmp_path):
    path = tmp_path / "nordic.csv"
    path.write_bytes(
        "EXPORTER_NAME,HS_CODE\nÅngström AB,854231\nSöderström AB,854232\n".encode("cp1252")
    )
    loaded = load_trade_file(path)
    assert loaded.table.column("exporter").to_pylist() == ["Ångström AB", "Söderström AB"]
    assert loaded.files[0].encoding == "cp1252"
