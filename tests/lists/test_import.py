"""``dualuse lists import``: local files become a snapshot through the refresh's own checks.

Real publications: the bundled 2023-12-28 SDN set (no ../shared needed) and the 2024-05-03
sdn.csv of ../shared, imported as the newer version an air-gapped site would copy over.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from screening import paths
from screening.errors import ReferenceDataError
from screening.lists.store.local_import import import_list_files
from screening.lists.store.snapshots import (
    SNAPSHOT_NAME,
    STAGING_DIR,
    load_active_lists,
    read_active,
    verify_snapshot,
)
from screening.lists.store.sources import load_list_sources
from tests.conftest import shared_path
from tests.lists.list_server import HTML_ERROR_PAGE, SDN_SET_FILES, sdn_ent_nums

VERSION_2024 = ("--list-version", "2024-05-03")
BUNDLED_SDN = Path(paths.REFERENCE_DIR) / "us_ofac_sdn" / "2023-12-28"


def lists_cli() -> click.Group:
    from screening.cli_lists import register

    group = click.Group("lists")
    register(group)
    return group


@pytest.fixture(scope="module")
def imported_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose active SDN snapshot was imported from the bundled 2023-12-28 set."""
    store = tmp_path_factory.mktemp("import") / "store"
    result = import_list_files(
        "us_ofac_sdn", [BUNDLED_SDN / name for name in SDN_SET_FILES], store=store
    )
    assert result.status == "updated", result.reason
    return store


@pytest.fixture
def store(imported_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(imported_store, copy)
    return copy


def active_dir(store: Path) -> Path:
    return store / "us_ofac_sdn" / read_active(store)["active"]["us_ofac_sdn"]["snapshot"]


def test_import_of_a_full_set_is_a_verified_snapshot(imported_store: Path) -> None:
    snapshot = active_dir(imported_store)
    meta = verify_snapshot(snapshot)
    assert [f["name"] for f in meta["files"]] == list(SDN_SET_FILES)
    for name in SDN_SET_FILES:
        assert (snapshot / name).read_bytes() == (BUNDLED_SDN / name).read_bytes()
    assert meta["files"][0]["url"] == (BUNDLED_SDN / "sdn.csv").resolve().as_uri()
    assert meta["stats"]["entities"] == len(sdn_ent_nums(BUNDLED_SDN / "sdn.csv")) == 13_821
    assert meta["previous"] == "bundled-2023-12-28"  # compared with the bundled copy
    assert (meta["diff"]["added"], meta["diff"]["removed"]) == (0, 0)
    assert not list((imported_store / STAGING_DIR).iterdir())


def test_same_bytes_again_are_unchanged(store: Path) -> None:
    result = import_list_files(
        "us_ofac_sdn", [BUNDLED_SDN / name for name in SDN_SET_FILES], store=store
    )
    assert result.status == "unchanged"
    assert len([p for p in (store / "us_ofac_sdn").iterdir() if p.is_dir()]) == 1


def test_newer_sdn_csv_alone_becomes_the_active_version(store: Path, tmp_path: Path) -> None:
    newer = shared_path("sanctions", "us_ofac", "sdn_2024-05-03", "sdn.csv")
    old = active_dir(store)
    result = CliRunner().invoke(
        lists_cli(),
        ["import", str(newer), "--list", "us_ofac_sdn", "--store", str(store), *VERSION_2024],
    )
    assert result.exit_code == 0, result.output
    assert "us_ofac_sdn: updated" in result.output
    assert "14,965 entities, version 2024-05-03" in result.output
    assert "+1256 -112" in result.output  # the 2024 publication against the 2023 one
    new = active_dir(store)
    assert new != old
    meta = json.loads((new / SNAPSHOT_NAME).read_text())
    assert [f["name"] for f in meta["files"]] == ["sdn.csv"]
    assert (meta["list_version"], meta["list_version_from"]) == ("2024-05-03", "given")
    verify_snapshot(old)  # kept, intact
    # screening now reads the imported version, re-parsed from the snapshot with its version
    table = load_active_lists(store)
    sdn = table.filter(table["list_source"].to_numpy(zero_copy_only=False) == "us_ofac_sdn")
    assert set(sdn["list_version"].to_pylist()) == {"2024-05-03"}
    assert len(set(sdn["source_id"].to_pylist())) == 14_965


def test_a_bad_file_is_refused_and_the_active_snapshot_stays(store: Path, tmp_path: Path) -> None:
    good = active_dir(store)
    page = tmp_path / "sdn.csv"
    page.write_bytes(HTML_ERROR_PAGE)
    result = CliRunner().invoke(
        lists_cli(), ["import", str(page), "--list", "us_ofac_sdn", "--store", str(store)]
    )
    assert result.exit_code == 1
    assert "rejected" in result.output and "an HTML page, not csv" in result.output
    assert active_dir(store) == good
    assert read_active(store)["refresh_log"][-1]["status"] == "rejected"
    assert not list((store / STAGING_DIR).iterdir())


def test_a_much_smaller_list_is_refused_as_a_shrink(store: Path, tmp_path: Path) -> None:
    lines = (BUNDLED_SDN / "sdn.csv").read_bytes().splitlines(keepends=True)
    cut = tmp_path / "sdn.csv"
    cut.write_bytes(b"".join(lines[: len(lines) // 2]))
    result = import_list_files("us_ofac_sdn", [cut], store=store)
    assert result.status == "rejected"
    assert "suspicious shrink" in (result.reason or "")


def test_files_must_be_recognisable(tmp_path: Path) -> None:
    sources = load_list_sources()
    one, two = tmp_path / "a.csv", tmp_path / "b.csv"
    one.write_text("x"), two.write_text("y")
    with pytest.raises(ReferenceDataError, match="cannot tell which"):
        import_list_files("us_ofac_sdn", [one, two], store=tmp_path, sources=sources)
    with pytest.raises(ReferenceDataError, match=r"needs its first file sdn\.csv"):
        import_list_files("us_ofac_sdn", [BUNDLED_SDN / "alt.csv"], store=tmp_path, sources=sources)
    with pytest.raises(ReferenceDataError, match="unknown list id 'nope'"):
        import_list_files("nope", [one], store=tmp_path, sources=sources)
    assert not (tmp_path / "us_ofac_sdn").exists()
