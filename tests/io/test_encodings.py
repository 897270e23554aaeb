"""CSV text encodings: Cyrillic, Turkish and Chinese customs exports are decoded right, the
encoding is recorded, and a file whose encoding cannot be told is refused, naming the file."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening.cli import cli
from screening.errors import TradeReadError
from screening.io import detect_encoding, load_trade_file, read_text_columns
from screening.pipeline import assess_records, flagged_records, screen_chunk

HEADER = "IMPORTER,EXPORTER,HS_CODE,DESTINATION_COUNTRY,DATE,VALUE\n"
RUSSIAN_ROWS = (
    "АО РОСОБОРОНЭКСПОРТ,ООО Ромашка,8542310000,RU,2024-01-05,100\n"
    "ООО Василёк,ТОО Береке,6907211000,KZ,2024-01-06,200\n"
)


def _write(tmp_path: Path, name: str, text: str, encoding: str, bom: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


def test_cp1251_sanctioned_importer_is_decoded_and_flagged(tmp_path, small_reference):
    path = _write(tmp_path, "gtd_1251.csv", HEADER + RUSSIAN_ROWS, "cp1251")
    loaded = load_trade_file(path)
    assert loaded.table.column("importer").to_pylist()[0] == "АО РОСОБОРОНЭКСПОРТ"
    assert loaded.files[0].encoding == "cp1251"
    assert "decoded as cp1251" in loaded.notes
    reference, config = small_reference
    screened, _ = screen_chunk(loaded.table, reference, config)
    assessed, _ = assess_records(screened, config)
    flagged = flagged_records(assessed)
    assert flagged.column("importer").to_pylist() == ["АО РОСОБОРОНЭКСПОРТ"]
    assert flagged.column("importer_match_name").to_pylist() == ["ROSOBORONEKSPORT OAO"]


def test_match_names_reads_a_cp1251_file(tmp_path, small_sdn_file):
    path = _write(tmp_path, "gtd_1251.csv", HEADER + RUSSIAN_ROWS, "cp1251")
    out = tmp_path / "hits.csv"
    result = CliRunner().invoke(
        cli,
        [
            *("match-names", str(path), "--column", "IMPORTER"),
            *("--out", str(out), "--lists", str(small_sdn_file)),
        ],
    )
    assert result.exit_code == 0, result.output
    hits = out.read_text(encoding="utf-8-sig")
    assert "АО РОСОБОРОНЭКСПОРТ" in hits and "ROSOBORONEKSPORT OAO" in hits


@pytest.mark.parametrize(
    ("encoding", "text", "bom"),
    [
        ("koi8_r", RUSSIAN_ROWS, b""),
        ("cp866", RUSSIAN_ROWS, b""),
        ("cp1254", "TÜRKİYE İŞ BANKASI,ŞİŞECAM ÇAYIROVA AŞ,6907211000,TR,2024-01-05,1\n", b""),
        ("gb18030", "北京航空材料研究院有限公司,上海电气集团,8542310000,CN,2024-01-05,1\n", b""),
        ("big5", "台灣積體電路製造股份有限公司,鴻海精密工業,8542310000,TW,2024-01-05,1\n", b""),
        ("utf-16-le", RUSSIAN_ROWS, codecs.BOM_UTF16_LE),
        ("utf-8", RUSSIAN_ROWS, codecs.BOM_UTF8),
    ],
)
def test_customs_encodings_are_decoded(tmp_path, encoding, text, bom):
    path = _write(tmp_path, f"file_{encoding}.csv", HEADER + text, encoding, bom)
    loaded = load_trade_file(path)
    first = text.splitlines()[0].split(",")
    assert loaded.table.column("importer").to_pylist()[0] == first[0]
    assert loaded.table.column("exporter").to_pylist()[0] == first[1]
    expected = {"utf-16-le": "utf-16", "utf-8": "utf-8-sig"}.get(encoding, encoding)
    assert loaded.files[0].encoding == expected
    assert loaded.table.column_names[-1] == "src_VALUE"  # no BOM left in a header


def test_cp1252_behind_a_utf8_bom_is_decoded_as_cp1252(tmp_path):
    path = tmp_path / "comtrade.csv"
    path.write_bytes(
        codecs.BOM_UTF8 + "HS_CODE,EXPORTER\n851713,Curaçao Trading\n".encode("cp1252")
    )
    detected = detect_encoding(path)
    assert (detected.name, detected.skip_bytes) == ("cp1252", 3)
    assert load_trade_file(path).table.column("exporter").to_pylist() == ["Curaçao Trading"]


def test_garbled_bytes_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "garbled.csv"
    path.write_bytes(b"HS_CODE,EXPORTER_NAME\n8542," + bytes(range(0x80, 0x100)) + b"\n")
    with pytest.raises(TradeReadError, match=r"garbled\.csv.*encoding"):
        load_trade_file(path)


def test_nul_bytes_are_refused_as_binary(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"HS_CODE,EXPORTER\n8542,A\x00B\n")
    with pytest.raises(TradeReadError, match=r"binary\.csv.*NUL"):
        load_trade_file(path)


def test_read_text_columns_decodes_like_the_loader(tmp_path):
    path = _write(tmp_path, "gtd_koi8.csv", HEADER + RUSSIAN_ROWS, "koi8_r")
    (importers,), problems = read_text_columns(path, ["IMPORTER"])
    assert importers.to_pylist() == ["АО РОСОБОРОНЭКСПОРТ", "ООО Василёк"]
    assert problems is None


def test_utf8_file_with_late_cp1251_bytes_is_not_read_as_utf8(tmp_path):
    """The encoding is decided from the whole file, not the first block."""
    ascii_rows = "".join(
        f"IMPORTER {i},EXPORTER {i},8542310000,KZ,2024-01-05,1\n" for i in range(40_000)
    )
    path = _write(tmp_path, "late.csv", HEADER + ascii_rows + RUSSIAN_ROWS, "cp1251")
    assert path.stat().st_size > 1 << 21
    loaded = load_trade_file(path)
    assert loaded.files[0].encoding == "cp1251"
    assert loaded.table.column("importer").to_pylist()[-2] == "АО РОСОБОРОНЭКСПОРТ"


def test_undefined_byte_past_the_detection_sample_is_a_clear_error(tmp_path):
    rows = "".join(
        f"ООО Ромашка {i},ТОО Береке,8542310000,KZ,2024-01-05,1\n" for i in range(120_000)
    )
    path = tmp_path / "late_bad.csv"
    path.write_bytes((HEADER + rows).encode("cp1251") + b"BAD \x98 NAME,X,8542,KZ,2024-01-05,1\n")
    assert path.stat().st_size > 4_000_000  # past the header scan
    with pytest.raises(TradeReadError, match=r"late_bad\.csv: cannot decode as cp1251: byte 0x98"):
        load_trade_file(path)
