"""The catalogue of official sources agrees with the parsers and with real published files."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from screening.errors import ReferenceDataError
from screening.lists.parsers.registry import FORMATS
from screening.lists.store.download import sniff_problem
from screening.lists.store.snapshots import parse_entry_file
from screening.lists.store.sources import load_list_sources, select_sources
from tests.conftest import shared_path

CATALOGUE = load_list_sources()

# list id -> a real copy of its publication in ../shared/data/sanctions (SOURCES.md)
REAL_COPIES = {
    "us_ofac_sdn": "us_ofac/sdn_set_2023-12-28",
    "us_ofac_non_sdn": "us_ofac/nonsdn_cons_2025-12-19",
    "us_trade_csl": "us_trade_csl/consolidated_2022-04.csv",
    "un_sc": "un/UN_consolidated_2026-02-27.xml",
    "ca_sema": "ca_sema/sema-lmes_2020-04.xml",
    "uk_fcdo_ods": "uk/FCDO_SL_2025-08-11.ods",
}
CHEAP_TO_PARSE = ("us_ofac_non_sdn", "un_sc", "ca_sema", "uk_fcdo_ods")


@pytest.mark.parametrize("list_id", sorted(CATALOGUE))
def test_catalogue_format_is_registered(list_id: str) -> None:
    source = CATALOGUE[list_id]
    if source.format not in FORMATS:
        pytest.skip(f"{list_id}: parser {source.format!r} not registered in FORMATS yet")
    assert source.files and all(f.url.startswith("https://") for f in source.files)
    assert source.provides, "every list must say which list_source values it provides"


@pytest.mark.parametrize("list_id", sorted(REAL_COPIES))
def test_real_publications_pass_the_byte_checks(list_id: str) -> None:
    path = shared_path("sanctions", *REAL_COPIES[list_id].split("/"))
    for spec in CATALOGUE[list_id].files:
        file = path / spec.name if path.is_dir() else path
        assert sniff_problem(file, spec) is None
        assert file.stat().st_size >= spec.min_bytes


@pytest.mark.parametrize("list_id", CHEAP_TO_PARSE)
def test_parser_writes_what_the_catalogue_promises(list_id: str) -> None:
    source = CATALOGUE[list_id]
    if source.format not in FORMATS:
        pytest.skip(f"parser {source.format!r} not registered yet")
    path = shared_path("sanctions", *REAL_COPIES[list_id].split("/"))
    entry = path / source.files[0].name if path.is_dir() else path
    table = parse_entry_file(entry, source.format)
    assert set(source.provides) <= set(pc.unique(table["list_source"]).to_pylist())
    assert len(pc.unique(table["source_id"])) >= source.min_entities


def test_an_id_without_official_source_is_refused() -> None:
    with pytest.raises(ReferenceDataError, match="no official source"):
        select_sources(["us_ofac_sdn", "opensanctions_default"], CATALOGUE)


def test_catalogue_errors_name_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yml"
    bad.write_text(
        "sources:\n  - id: x\n    title: X\n    format: un_sc_xml\n"
        "    files:\n      - {name: a.xml, url: 'https://example.org/a.xml', kind: pdf}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match=r"source #1 \(x\), file #1: kind must be"):
        load_list_sources(bad)
