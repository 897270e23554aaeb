"""List files as published: OFAC's ZIPs, archives within limits, binaries named, CSL quirks.

The real CONS_ENHANCED.ZIP (../shared) must give the same 443 entities as its XML; the other
archives are made here from the bundled lists, so they run without ../shared.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from screening import paths
from screening.cli import cli
from screening.errors import ListParseError, ReferenceDataError
from screening.lists import detect_list_format, parse_list_files
from screening.lists.parsers import archives
from screening.lists.parsers.string_csv import RepeatedHeaderWarning
from screening.lists.store.download import DownloadPolicy
from screening.lists.store.local_import import import_list_files
from screening.lists.store.refresh import refresh_list
from screening.lists.store.snapshots import load_active_lists, read_active
from screening.lists.store.sources import load_list_sources
from tests.conftest import shared_path
from tests.lists.list_server import SDN_SET_FILES, ListServer, Route, write_local_catalogue

REFERENCE = Path(paths.REFERENCE_DIR)
UN_XML = REFERENCE / "un_sc" / "2026-02-27" / "consolidated.xml"
CSL = REFERENCE / "us_trade_csl" / "2022-04" / "consolidated.csv"
QUICK = DownloadPolicy(attempts=1, trust_env=False)


def make_zip(target: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def entities(table: pa.Table) -> int:
    return len(pc.unique(table["source_id"]))


# --- OFAC's own ZIP ------------------------------------------------------------------------


def test_cons_enhanced_zip_parses_to_the_443_entities_of_its_xml(tmp_path: Path) -> None:
    folder = shared_path("sanctions", "us_ofac", "enhanced_xml")
    from_zip = parse_list_files([folder / "CONS_ENHANCED.ZIP"])
    from_xml = parse_list_files([folder / "CONS_ENHANCED.XML"])
    assert entities(from_zip) == entities(from_xml) == 443
    assert from_zip.equals(from_xml)
    assert detect_list_format(folder / "CONS_ENHANCED.ZIP") == "us_ofac_enhanced_xml"

    out = tmp_path / "cons.csv"
    result = CliRunner().invoke(
        cli, ["lists", "parse", str(folder / "CONS_ENHANCED.ZIP"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "443 entities" in result.output


def test_refresh_and_import_take_the_published_zip(tmp_path: Path, server: ListServer) -> None:
    published = shared_path("sanctions", "us_ofac", "enhanced_xml", "CONS_ENHANCED.ZIP")
    catalogue = write_local_catalogue(server, ["us_ofac_non_sdn_enhanced"], tmp_path / "s.yml")
    sources = load_list_sources(catalogue)
    server.routes.clear()
    server.serve(
        "us_ofac_non_sdn_enhanced/CONS_ENHANCED.ZIP",
        Route(published.read_bytes(), content_type="application/zip"),
    )
    result = refresh_list(
        "us_ofac_non_sdn_enhanced", store=tmp_path / "a", sources=sources, policy=QUICK
    )
    assert result.status == "updated", result.reason
    assert result.entities == 443 and result.list_version == "2025-01-10"
    table = load_active_lists(tmp_path / "a", lists=["us_ofac_non_sdn_enhanced"])
    assert entities(table) == 443  # the snapshot keeps the ZIP as published and re-reads it

    imported = import_list_files(
        "us_ofac_non_sdn_enhanced", [published], store=tmp_path / "b", sources=sources
    )
    assert imported.status == "updated" and imported.entities == 443

    noise = random.Random(5).randbytes(60_000)  # passes the catalogue's 50 KB floor
    bomb = make_zip(
        tmp_path / "CONS_ENHANCED.ZIP", {"CONS_ENHANCED.XML": noise + b" " * 30_000_000}
    )
    server.serve(
        "us_ofac_non_sdn_enhanced/CONS_ENHANCED.ZIP",
        Route(bomb.read_bytes(), content_type="application/zip"),
    )
    refused = refresh_list(
        "us_ofac_non_sdn_enhanced", store=tmp_path / "a", sources=sources, policy=QUICK
    )
    assert refused.status == "rejected" and "zip bomb" in (refused.reason or "")
    assert read_active(tmp_path / "a")["active"]["us_ofac_non_sdn_enhanced"]["snapshot"] == (
        result.new_snapshot
    )


# --- archives made here -----------------------------------------------------------------------


def test_a_zipped_list_parses_like_the_list(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "un.zip",
        {"readme.txt": b"UN list, zipped by a mirror\n", "consolidated.xml": UN_XML.read_bytes()},
    )
    assert parse_list_files([archive]).equals(parse_list_files([UN_XML]))


def test_a_zipped_ofac_csv_set_imports_as_its_files(tmp_path: Path) -> None:
    folder = REFERENCE / "us_ofac_sdn" / "2023-12-28"
    archive = make_zip(
        tmp_path / "sdn_set.zip", {name: (folder / name).read_bytes() for name in SDN_SET_FILES}
    )
    result = import_list_files("us_ofac_sdn", [archive], store=tmp_path / "store")
    assert result.status == "updated", result.reason
    assert result.entities == 13_821
    snapshot = tmp_path / "store" / "us_ofac_sdn" / result.new_snapshot
    assert sorted(p.name for p in snapshot.glob("*.csv")) == sorted(SDN_SET_FILES)
    meta = json.loads((snapshot / "snapshot.json").read_text())
    assert meta["files"][0]["url"] == archive.resolve().as_uri() + "!/sdn.csv"


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"consolidated.xml": b"<a>" + b" " * 20_000_000 + b"</a>"}, "refused as a zip bomb"),
        ({f"part{i}.csv": b"x" for i in range(archives.MAX_MEMBERS + 1)}, "more than the 50"),
        ({"readme.txt": b"nothing to see"}, "no supported list file in the ZIP archive"),
        ({}, "holds no file"),
    ],
    ids=["bomb", "too many members", "no list inside", "empty"],
)
def test_archives_beyond_the_limits_are_refused(
    tmp_path: Path, members: dict[str, bytes], words: str
) -> None:
    archive = make_zip(tmp_path / "list.zip", members)
    with pytest.raises(ListParseError, match=words) as caught:
        parse_list_files([archive])
    assert str(archive) in str(caught.value)


def test_a_member_name_cannot_escape_the_unpacking_folder(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "evil.zip", {"../../outside.xml": UN_XML.read_bytes()})
    assert parse_list_files([archive]).num_rows > 0
    assert not (tmp_path.parent / "outside.xml").exists()


def test_a_cut_archive_is_named_not_a_traceback(tmp_path: Path) -> None:
    whole = make_zip(tmp_path / "whole.zip", {"consolidated.xml": UN_XML.read_bytes()})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ListParseError, match="not a readable ZIP archive"):
        parse_list_files([cut])


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "binary data, not text"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"\x1f\x8b\x08\x00" + bytes(200), "gzip-compressed data"),
    ],
    ids=["executable", "pdf", "gzip"],
)
def test_a_non_list_binary_gets_a_clear_message(tmp_path: Path, head: bytes, words: str) -> None:
    path = tmp_path / "list.bin"
    path.write_bytes(head)
    result = CliRunner().invoke(cli, ["lists", "parse", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    message = str(result.exception)
    assert isinstance(result.exception, ListParseError)
    assert words in message
    assert "\x00" not in message and "\ufffd" not in message


# --- the CSL as it is sometimes published -------------------------------------------------------


def test_csl_with_its_header_repeated_on_line_2(tmp_path: Path) -> None:
    lines = CSL.read_bytes().split(b"\n")
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"\n".join(lines[:300]) + b"\n")
    doubled = tmp_path / "doubled.csv"
    doubled.write_bytes(b"\n".join([lines[0], *lines[:300]]) + b"\n")
    with pytest.warns(RepeatedHeaderWarning, match=r"row\(s\) 2 repeat the header; skipped"):
        table = parse_list_files([doubled])
    assert table.equals(parse_list_files([plain]))


def test_a_truncated_last_record_says_where(tmp_path: Path) -> None:
    lines = CSL.read_bytes().split(b"\n")
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"\n".join(lines[:200]) + b"\n" + lines[200][: len(lines[200]) // 2])
    with pytest.raises(ListParseError, match=r"truncated at row 201: the last record has"):
        parse_list_files([cut])
    # a short row that is not the last one is a plain column-count error
    middle = tmp_path / "middle.csv"
    middle.write_bytes(
        b"\n".join([*lines[:200], lines[200][: len(lines[200]) // 2], *lines[201:210]]) + b"\n"
    )
    with pytest.raises(ListParseError, match=r"row 201.*expected 29 columns") as caught:
        parse_list_files([middle])
    assert "truncated at" not in str(caught.value)


def test_import_refuses_a_bomb_without_a_traceback(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "sdn.zip", {"sdn.csv": b"1," * 5_000_000})
    with pytest.raises(ReferenceDataError, match="zip bomb"):
        import_list_files("us_ofac_sdn", [bomb], store=tmp_path / "store")
    assert not (tmp_path / "store" / "us_ofac_sdn").exists()
