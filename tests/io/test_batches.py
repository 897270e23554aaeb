"""The streaming API: batches of canonical records with rejects and per-file info, giving the
same records as the whole-file loader, whatever the batch or block size."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import screening.io.readers.delimited as delimited
from screening.errors import TradeLayoutError
from screening.io import iter_trade_batches, load_trade_file, open_trade_file
from screening.schema import REJECT_SCHEMA
from tests.conftest import shared_path
from tests.io.xlsx_kit import trade_rows, write_xlsx


def _collect(batches):
    batches = list(batches)
    for batch in batches:
        assert batch.rows_in == batch.records.num_rows + batch.rejects.num_rows
        assert batch.records.schema == batch.info.schema
        assert batch.rejects.schema == REJECT_SCHEMA
    records = pa.concat_tables([b.records for b in batches])
    rejects = pa.concat_tables([b.rejects for b in batches]).sort_by("row")
    return batches, records, rejects


def test_csv_batches_across_small_blocks_match_the_whole_file(tmp_path, monkeypatch):
    source = shared_path("trade", "comtrade_armenia", "vehicle_trade_armenia.csv")  # cp1252
    lines = source.read_bytes().split(b"\n")
    for index in (5, 3000, 3001, 7000):  # rows with a field too many
        lines[index] += b",EXTRA"
    lines.insert(100, b"")  # a blank line between records
    path = tmp_path / "vehicle_trade_armenia.csv"
    path.write_bytes(b"\n".join(lines))
    whole = load_trade_file(path)
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 16_384)
    batches, records, rejects = _collect(iter_trade_batches([path], batch_rows=1_000))
    assert len(batches) > 100
    assert records.equals(whole.table)
    assert rejects.equals(whole.rejects)
    assert rejects.column("row").to_pylist() == [6, 3002, 3003, 7002]
    info = batches[-1].info
    assert (info.rows_in, info.rejected, info.blank_rows) == (whole.rows_in, 4, 1)
    assert info.encoding == "cp1252" and info.complete
    assert info.notes == whole.notes


def test_a_record_longer_than_the_block_is_read_by_growing_the_block(tmp_path, monkeypatch):
    long = "X" * 50_000
    rows = [f"A{i} LLC,854231,short" for i in range(2_000)]
    rows[1_500] = f'LONG LLC,854231,"{long}\n{long}"'
    path = tmp_path / "long.csv"
    path.write_text("EXPORTER_NAME,HS_CODE,HS_CODE_DESCRIPTION\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 8_192)
    _, records, rejects = _collect(iter_trade_batches([path], batch_rows=256))
    assert records.num_rows == 2_000 and rejects.num_rows == 0
    assert records.column("source_row").to_pylist() == list(range(2, 2_002))
    assert records.column("description").to_pylist()[1_500] == f"{long}\n{long}"


def test_xlsx_and_parquet_batches_match_the_whole_file(tmp_path):
    book = write_xlsx(tmp_path / "book.xlsx", trade_rows(5_000))
    parquet = tmp_path / "book.parquet"
    pq.write_table(load_trade_file(book).table.select(["exporter", "importer", "hs_code"]), parquet)
    for path in (book, parquet):
        whole = load_trade_file(path)
        batches, records, _ = _collect(iter_trade_batches([path], batch_rows=700))
        assert len(batches) == 8
        assert records.equals(whole.table), path.name
        assert max(b.records.num_rows for b in batches) == 700


def test_file_info_for_the_manifest(tmp_path):
    path = tmp_path / "Russia_Import_Short.csv"
    path.write_bytes(
        "SUPPLIER_NAME,IMPORTER_NAME,HS_CODE\nA LLC,ООО Ромашка Трейдинг,690721\n".encode("cp1251")
    )
    trade_file = open_trade_file(path)
    info = trade_file.info
    assert not info.complete and info.rows_in == 0
    list(trade_file.batches())
    entry = info.to_manifest()
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (entry["format"], entry["encoding"], entry["layout"]) == ("csv", "cp1251", "generic")
    assert (entry["rows_in"], entry["records"], entry["rejected"]) == (1, 1, 0)
    assert "reporter country RU inferred from the file name" in entry["notes"]


def test_every_file_is_checked_when_opened_before_any_row_is_read(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("EXPORTER_NAME,HS_CODE\nA LLC,854231\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert open_trade_file(good).info.mapping == {"exporter": "EXPORTER_NAME", "hs_code": "HS_CODE"}
    with pytest.raises(TradeLayoutError, match=r"bad\.csv"):
        open_trade_file(bad)


def test_empty_data_still_yields_one_batch_with_the_schema(tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("EXPORTER_NAME,HS_CODE,NOTE\n", encoding="utf-8")
    (batch,) = iter_trade_batches([path])
    assert batch.rows_in == 0
    assert batch.records.column_names[-1] == "src_NOTE"
