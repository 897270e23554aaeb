"""XLSX files past Excel's limits, zip bombs and DTDs are refused before any sheet is parsed,
fast and naming the file; ordinary workbooks read through python-calamine."""

from __future__ import annotations

import time
import zipfile

import pytest

import screening.io.readers.excel as excel
from screening.errors import TradeReadError
from screening.io import load_trade_file
from tests.io.xlsx_kit import TRADE_HEADER, row_xml, trade_rows, write_xlsx


def test_generated_workbook_reads_every_row(tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", trade_rows(2_500))
    loaded = load_trade_file(path)
    assert loaded.rows_in == loaded.table.num_rows == 2_500
    assert loaded.table.column("source_row").to_pylist()[-1] == 2_501
    assert loaded.files[0].format == "xlsx" and loaded.files[0].encoding is None


def test_rows_past_excels_limit_are_refused_fast(tmp_path):
    rows = [row_xml(1, TRADE_HEADER), row_xml(2, ("A", "B", "8542", "RU", 1))]
    rows.append(row_xml(1_048_577, ("C", "D", "8542", "RU", 2)))
    path = write_xlsx(tmp_path / "too_long.xlsx", rows)
    started = time.perf_counter()
    with pytest.raises(TradeReadError, match=r"too_long\.xlsx.*1,048,577 rows.*Excel's limit"):
        load_trade_file(path)
    assert time.perf_counter() - started < 5


def test_declared_dimension_past_the_limit_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "wide.xlsx", trade_rows(3), dimension="A1:XFE10")
    with pytest.raises(TradeReadError, match=r"wide\.xlsx.*16,385 columns"):
        load_trade_file(path)


def test_two_far_apart_cells_do_not_allocate_the_grid(tmp_path):
    """A1 and XFD200000 make a 3-billion-cell grid in a dense reader: refused from the XML."""
    rows = [row_xml(1, TRADE_HEADER), '<row r="200000"><c r="XFD200000"><v>1</v></c></row>']
    path = write_xlsx(tmp_path / "sparse_bomb.xlsx", rows)
    started = time.perf_counter()
    with pytest.raises(TradeReadError, match=r"sparse_bomb\.xlsx.*cell limit"):
        load_trade_file(path)
    assert time.perf_counter() - started < 5


def test_unpacked_size_over_the_cap_is_refused_from_the_zip_directory(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "bomb.xlsx", trade_rows(60_000), compresslevel=9)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", unpacked // 2)
    started = time.perf_counter()
    with pytest.raises(TradeReadError, match=r"bomb\.xlsx.*unpacks to .* MiB, over the"):
        load_trade_file(path)
    assert time.perf_counter() - started < 1


def test_compression_ratio_over_the_limit_is_refused(tmp_path, monkeypatch):
    same = row_xml(2, ("SAME EXPORTER LLC", "SAME IMPORTER", "8542310000", "RU", 1))
    path = write_xlsx(tmp_path / "ratio.xlsx", [row_xml(1, TRADE_HEADER)] + [same] * 50_000)
    monkeypatch.setattr(excel, "RATIO_CHECKED_FROM", 1 << 20)
    monkeypatch.setattr(excel, "MAX_COMPRESSION_RATIO", 50)
    with pytest.raises(TradeReadError, match=r"ratio\.xlsx.*compressed .*:1.*zip bomb"):
        load_trade_file(path)


def _central_header(data: bytes, name: bytes) -> int:
    """Offset of the central directory header of the member ``name``."""
    at = data.index(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.index(b"PK\x01\x02", at + 4)
    return at


def test_member_larger_than_its_directory_entry_says_is_corrupt(tmp_path):
    """A zip that understates a sheet's size (to pass the size check) fails its CRC check."""
    path = write_xlsx(tmp_path / "liar.xlsx", trade_rows(2_000), compresslevel=9)
    data = bytearray(path.read_bytes())
    at = _central_header(bytes(data), b"xl/worksheets/sheet1.xml")
    data[at + 24 : at + 28] = (1000).to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(data))
    with pytest.raises(TradeReadError, match=r"liar\.xlsx.*corrupt"):
        load_trade_file(path)


def test_xml_with_a_dtd_is_refused(tmp_path):
    laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    path = write_xlsx(tmp_path / "laughs.xlsx", trade_rows(3), sheet_prefix=laughs)
    with pytest.raises(TradeReadError, match=r"laughs\.xlsx.*DTD"):
        load_trade_file(path)


def test_not_a_zip_is_a_read_error(tmp_path):
    path = tmp_path / "renamed.xlsx"
    path.write_text("EXPORTER,HS_CODE\nA,8542\n", encoding="utf-8")
    with pytest.raises(TradeReadError, match=r"renamed\.xlsx.*Excel workbook"):
        load_trade_file(path)
