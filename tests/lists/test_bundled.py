"""reference_lists/: the manifest and the folder agree, hashes are enforced, lists load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from defusedxml import ElementTree

from screening import paths
from screening.errors import ReferenceDataError
from screening.lists import (
    bundled_list_paths,
    detect_list_format,
    load_bundled_lists,
    verify_reference_files,
)
from screening.lists.parsers.registry import FORMATS
from screening.lists.store.bundled import MANIFEST_NAME, load_manifest, sha256_of
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import BUNDLED_COPIES, SHARED_DATA

REFERENCE_DIR = Path(paths.REFERENCE_DIR)


def _files() -> list[dict]:
    return [f for d in load_manifest()["datasets"] for f in d["files"]]


def test_every_listed_file_exists_with_its_sha256() -> None:
    for entry in _files():
        path = REFERENCE_DIR / entry["path"]
        assert path.is_file(), entry["path"]
        assert sha256_of(path) == entry["sha256"], entry["path"]


def test_every_file_in_the_folder_is_listed() -> None:
    on_disk = {
        p.relative_to(REFERENCE_DIR).as_posix()
        for p in REFERENCE_DIR.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    }
    listed = [entry["path"] for entry in _files()]
    assert len(listed) == len(set(listed))
    assert on_disk == set(listed)


def _count_records(path: Path, header: bool) -> int:
    """Data records of a bundled file, counted by a reader independent of the list parsers."""
    if path.suffix == ".xml":
        tags = ("INDIVIDUAL", "ENTITY")
        return sum(1 for _, elem in ElementTree.iterparse(path) if elem.tag in tags)
    if path.suffix == ".ods":
        frame = pd.read_excel(path, engine="odf", header=None)
        return len(frame.dropna(how="all")) - (1 if header else 0)
    data = path.read_bytes().rstrip(b"\x1a")  # OFAC's end-of-file byte
    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(autogenerate_column_names=not header),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
    )
    return table.num_rows


def test_row_counts_match() -> None:
    for entry in _files():
        path = REFERENCE_DIR / entry["path"]
        assert _count_records(path, entry.get("header", True)) == entry["rows"], entry["path"]


def test_dataset_fields() -> None:
    required = {
        "id",
        "kind",
        "title",
        "publisher",
        "source_url",
        "snapshot_date",
        "licence",
        "provenance",
        "files",
    }
    datasets = load_manifest()["datasets"]
    for dataset in datasets:
        assert required <= set(dataset), dataset.get("id")
        if dataset["kind"] == "sanctions_list":
            assert dataset["format"] in FORMATS
            assert "list_version" in dataset and "active" in dataset
    assert len({d["id"] for d in datasets}) == len(datasets)


def test_active_list_paths_are_detected_as_their_format() -> None:
    formats = {
        d["files"][0]["path"]: d["format"] for d in load_manifest()["datasets"] if d.get("active")
    }
    list_paths = bundled_list_paths()
    assert len(list_paths) == len(formats) >= 2
    for path in list_paths:
        assert detect_list_format(path) == formats[path.relative_to(REFERENCE_DIR).as_posix()]


@pytest.fixture
def reference_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "reference_lists"
    shutil.copytree(REFERENCE_DIR, copy)
    monkeypatch.setattr(paths, "REFERENCE_DIR", copy)
    return copy


def test_changed_file_is_refused(reference_copy: Path) -> None:
    verify_reference_files()  # the copy is intact
    target = reference_copy / "us_trade_csl" / "2022-04" / "consolidated.csv"
    with open(target, "ab") as fh:
        fh.write(b"extra,row\n")
    with pytest.raises(ReferenceDataError, match=r"consolidated\.csv: sha256"):
        verify_reference_files()
    with pytest.raises(ReferenceDataError):
        load_bundled_lists()


def test_missing_file_is_named(reference_copy: Path) -> None:
    (reference_copy / "hs" / "hs2017_nomenclature.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"hs2017_nomenclature\.csv.*missing"):
        verify_reference_files()


def test_load_bundled_lists() -> None:
    table = load_bundled_lists()
    assert table.schema == LIST_ENTRY_SCHEMA
    assert load_bundled_lists() is table  # parsed once per process
    versions = table.group_by("list_source").aggregate([("list_version", "count_distinct")])
    assert max(versions["list_version_count_distinct"].to_pylist()) == 1
    sdn = table.filter(pc.equal(table["list_source"], "us_ofac_sdn"))
    assert set(sdn["list_version"].to_pylist()) == {"2023-12-28"}  # newer than the CSL's
    sources = set(table["list_source"].to_pylist())
    assert {"us_ofac_sdn", "us_bis_entity_list", "us_bis_meu", "us_ofac_ssi"} <= sources


@pytest.mark.parametrize("shared", sorted(BUNDLED_COPIES))
def test_bundled_stand_ins_for_shared_files_are_byte_identical(shared: str) -> None:
    """Tests read these bundled copies where ../shared is absent (tests/conftest.py): each must
    hold the bytes of the ../shared file it stands for, as manifest.yml records them."""
    recorded = {REFERENCE_DIR / f["path"]: f["sha256"] for f in _files()}
    bundled = REFERENCE_DIR / BUNDLED_COPIES[shared]
    copies = sorted(bundled.iterdir()) if bundled.is_dir() else [bundled]
    for copy in copies:
        assert sha256_of(copy) == recorded[copy], copy
    original = SHARED_DATA / shared
    if not original.exists():  # ../shared absent: the manifest's sha256 is all there is
        return
    for copy in copies:
        source = original / copy.name if original.is_dir() else original
        assert sha256_of(source) == recorded[copy], source


def test_a_first_parse_leaves_no_cyclic_garbage_behind(tmp_path, monkeypatch):
    """Parsing the bundled lists (XML trees, spreadsheet cells) leaves cycles that only a
    collection frees; a first run would carry them (125 MB) to its end. The loader collects
    them: a collection right after it finds next to nothing, in a fresh process with an empty
    data folder (nothing read from the parse cache)."""
    from tests.conftest import fresh_python

    monkeypatch.setenv("DUALUSE_DATA_DIR", str(tmp_path))
    script = (
        "import gc\n"
        "from screening.lists import load_bundled_lists\n"
        "table = load_bundled_lists()\n"
        "print(table.num_rows, gc.collect())\n"
    )
    done = fresh_python("-W", "ignore", "-c", script)
    assert done.returncode == 0, done.stderr
    rows, garbage = map(int, done.stdout.split())
    assert rows > 40_000
    assert garbage < 1_000
    assert len(list((tmp_path / "cache").glob("*.parquet"))) >= 4  # parsed, not read back
