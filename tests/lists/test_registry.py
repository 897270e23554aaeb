"""Format detection and dispatch over the bundled lists and a few unsupported files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening import paths
from screening.errors import ListParseError
from screening.lists import detect_list_format, parse_list_files
from screening.lists.parsers.registry import keep_newest_versions
from screening.schema import LIST_ENTRY_SCHEMA

REFERENCE_DIR = Path(paths.REFERENCE_DIR)
SDN_DIR = REFERENCE_DIR / "us_ofac_sdn" / "2023-12-28"
CSL_FILE = REFERENCE_DIR / "us_trade_csl" / "2022-04" / "consolidated.csv"


@pytest.mark.parametrize(
    "path",
    [SDN_DIR, SDN_DIR / "sdn.csv", SDN_DIR / "alt.csv", SDN_DIR / "sdn_comments.csv"],
)
def test_sdn_set_detected_from_any_member(path: Path) -> None:
    assert detect_list_format(path) == "us_ofac_sdn_csv"


def test_csl_detected_by_header() -> None:
    assert detect_list_format(CSL_FILE) == "us_trade_csl_csv"


def test_set_members_parse_once_and_versions_merge() -> None:
    table = parse_list_files(
        [SDN_DIR / "sdn.csv", SDN_DIR / "add.csv", SDN_DIR, CSL_FILE], list_version=None
    )
    assert table.schema == LIST_ENTRY_SCHEMA
    primary = table.filter(pc.equal(table["name_kind"], "primary"))
    sdn = primary.filter(pc.equal(primary["list_source"], "us_ofac_sdn"))
    # the CSL carries no version unless told, so its SDN rows are not known to be older
    assert set(sdn["list_version"].to_pylist()) == {"2023-12-28", None}
    from_set = sdn.filter(pc.equal(sdn["list_version"], "2023-12-28"))
    assert len(set(from_set["source_id"].to_pylist())) == from_set.num_rows == 13_821


def test_newest_version_wins() -> None:
    sdn = parse_list_files([SDN_DIR])
    csl = parse_list_files([CSL_FILE], list_version="2022-04")
    both = pa.concat_tables([sdn, csl])
    kept = keep_newest_versions(both)
    old_sdn = pc.and_(
        pc.equal(both["list_source"], "us_ofac_sdn"), pc.equal(both["list_version"], "2022-04")
    )
    assert pc.sum(old_sdn).as_py() > 20_000
    assert kept.num_rows == both.num_rows - pc.sum(old_sdn).as_py()
    kept_sdn = kept.filter(pc.equal(kept["list_source"], "us_ofac_sdn"))
    assert set(kept_sdn["list_version"].to_pylist()) == {"2023-12-28"}
    assert "us_bis_entity_list" in set(kept["list_source"].to_pylist())


def test_unsupported_file_names_file_and_what_was_seen(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("alpha,beta\n1,2\n", encoding="utf-8")
    with pytest.raises(
        ListParseError,
        match=r"notes\.csv: unsupported list file; saw first "
        r"line 'alpha,beta'",
    ) as info:
        parse_list_files([path])
    assert info.value.file == path


def test_unknown_xml_is_not_supported(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"  # OFAC's legacy SDN.XML layout has no parser
    path.write_text('<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>\n', encoding="utf-8")
    with pytest.raises(ListParseError, match="<\\?xml"):
        detect_list_format(path)


def test_unknown_format_name() -> None:
    with pytest.raises(ListParseError, match="unknown list format 'eu_fsf'"):
        parse_list_files([CSL_FILE], format="eu_fsf")


def test_no_files_gives_an_empty_table() -> None:
    assert parse_list_files([]).schema == LIST_ENTRY_SCHEMA
