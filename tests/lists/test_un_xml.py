"""UN Security Council consolidated XML: the real 2026-02-27 list, plus small broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from defusedxml.ElementTree import parse as parse_xml

from screening.cli import cli
from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.un_xml import looks_like_un_xml, parse_un_xml
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

LIST_COLUMNS = ("programs", "countries", "addresses", "identifiers", "related")


@pytest.fixture(scope="module")
def un_file() -> Path:
    return shared_path("sanctions", "un", "UN_consolidated_2026-02-27.xml")


@pytest.fixture(scope="module")
def un_table(un_file: Path) -> pa.Table:
    return parse_un_xml(un_file)


@pytest.fixture(scope="module")
def un(un_table: pa.Table) -> pd.DataFrame:
    return un_table.to_pandas()


@pytest.fixture(scope="module")
def raw_root(un_file: Path):
    """Independent read of the file with defusedxml's plain ElementTree."""
    return parse_xml(un_file).getroot()


def _party(un: pd.DataFrame, dataid: str) -> pd.DataFrame:
    return un[un["source_id"] == dataid]


def _ids(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return {(i["scheme"], i["value"]) for i in rows["identifiers"].iloc[0]}


@pytest.mark.shared
def test_730_individuals_and_273_entities(un_table: pa.Table, un: pd.DataFrame, raw_root) -> None:
    assert un_table.schema == LIST_ENTRY_SCHEMA
    primary = un[un["name_kind"] == "primary"]
    assert primary["entity_type"].value_counts().to_dict() == {"individual": 730, "entity": 273}
    assert primary["source_id"].is_unique
    assert set(primary["source_id"]) == {e.text for e in raw_root.iter("DATAID")}
    assert set(un["list_source"]) == {"un_sc"}
    assert set(un["list_version"]) == {"2026-02-27"}  # dateGenerated="2026-02-27T00:00:09.554Z"
    assert str(un["listed_on"].max()) == "2026-02-24"  # SOURCES.md: newest LISTED_ON
    for column in LIST_COLUMNS:
        assert un_table[column].null_count == 0, column


@pytest.mark.shared
def test_alias_quality_maps_to_name_kind(un: pd.DataFrame, raw_root) -> None:
    by_quality: dict[str, int] = {}
    for alias in [*raw_root.iter("INDIVIDUAL_ALIAS"), *raw_root.iter("ENTITY_ALIAS")]:
        if (alias.findtext("ALIAS_NAME") or "").strip():
            quality = alias.findtext("QUALITY") or ""
            by_quality[quality] = by_quality.get(quality, 0) + 1
    kinds = un["name_kind"].value_counts()
    assert kinds["weak_alias"] == by_quality["Low"] == 615
    assert kinds["former"] == by_quality["f.k.a."] == 19
    saddam = _party(un, "6908048")
    assert saddam.iloc[0]["name"] == "SADDAM HUSSEIN AL-TIKRITI"
    assert ("Abu Ali", "weak_alias") in set(zip(saddam["name"], saddam["name_kind"], strict=True))
    adf = _party(un, "6908402")
    assert ("NALU", "former") in set(zip(adf["name"], adf["name_kind"], strict=True))


@pytest.mark.shared
def test_original_script_name_is_an_alias(un: pd.DataFrame, raw_root) -> None:
    saddam = _party(un, "6908048")
    assert ("صدام حسين التكريتي", "alias") in set(
        zip(saddam["name"], saddam["name_kind"], strict=True)
    )
    # line breaks inside a value are layout: "حركة التوحيد والجهاد في\n   غرب إفريقيا"
    originals = {" ".join(e.text.split()) for e in raw_root.iter("NAME_ORIGINAL_SCRIPT") if e.text}
    assert len(originals) == 378
    assert originals <= set(un["name"])


@pytest.mark.shared
def test_programs_countries_and_company_imo(un: pd.DataFrame) -> None:
    omm = _party(un, "6908046").iloc[0]
    assert omm["name"] == "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)"
    assert list(omm["programs"]) == ["DPRK", "KPe.020"]
    # "International Maritime Organization (IMO) Number: 1790183." in COMMENTS1: the company's
    assert _ids(_party(un, "6908046")) == {("IMO_COMPANY", "1790183")}
    assert str(omm["listed_on"]) == "2014-07-28"
    saddam = _party(un, "6908048").iloc[0]
    assert list(saddam["countries"]) == ["IQ"]
    # "96 03 464086", a Russian passport (series and number)
    umarov = _party(un, "2960872")
    assert ("PASSPORT:RU", "96 03 464086") in _ids(umarov)
    assert "RU" in set(umarov.iloc[0]["countries"])


@pytest.mark.shared
def test_placeholders_are_not_names_or_countries(un: pd.DataFrame) -> None:
    # <FOURTH_NAME>na</FOURTH_NAME> and <NATIONALITY><VALUE>na</VALUE>: "na" is not Namibia
    assert not un["name"].str.contains(r"\bna$").any()
    assert not un["countries"].map(lambda c: "NA" in c).any()


@pytest.mark.shared
def test_detector_and_cli(un_file: Path, tmp_path: Path) -> None:
    assert looks_like_un_xml(un_file)
    assert detect_list_format(un_file) == "un_sc_xml"
    out = tmp_path / "x.parquet"
    result = CliRunner().invoke(cli, ["lists", "parse", str(un_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "un_sc: 1003 entities" in result.output
    assert pq.read_table(out).schema == LIST_ENTRY_SCHEMA


# --------------------------------------------------------------------------- small files

_SMALL = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-02T00:00:00Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>1</DATAID>
      <FIRST_NAME>IVAN</FIRST_NAME><SECOND_NAME>PETROV</SECOND_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.999</REFERENCE_NUMBER>
      <LISTED_ON>2020-01-01</LISTED_ON>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>I. PETROV</ALIAS_NAME>
      </INDIVIDUAL_ALIAS>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>2</DATAID>
      <FIRST_NAME>ACME TRADING</FIRST_NAME>
      <LISTED_ON>2021-05-06</LISTED_ON>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>ACME</ALIAS_NAME></ENTITY_ALIAS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "consolidated.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_list(tmp_path: Path) -> None:
    table = parse_un_xml(_write(tmp_path, _SMALL)).to_pandas()
    assert list(zip(table["source_id"], table["name"], table["name_kind"], strict=True)) == [
        ("1", "IVAN PETROV", "primary"),
        ("1", "I. PETROV", "alias"),
        ("2", "ACME TRADING", "primary"),
        ("2", "ACME", "alias"),
    ]
    assert set(table["list_version"]) == {"2026-01-02"}


def test_truncated_file_names_line_and_last_record(tmp_path: Path) -> None:
    cut = _SMALL.index("<ENTITY_ALIAS>")
    path = _write(tmp_path, _SMALL[:cut])
    with pytest.raises(ListParseError, match=r"line \d+, column \d+ .*after <INDIVIDUAL> DATAID 1"):
        parse_un_xml(path)


def test_unknown_alias_quality_and_bad_date_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ListParseError, match=r"ENTITY DATAID 2: alias 'ACME' has QUALITY 'maybe'"):
        parse_un_xml(_write(tmp_path, _SMALL.replace("a.k.a.", "maybe")))
    with pytest.raises(ListParseError, match=r"LISTED_ON '06/05/2021' is not a YYYY-MM-DD"):
        parse_un_xml(_write(tmp_path, _SMALL.replace("2021-05-06", "06/05/2021")))


def test_external_entity_is_refused(tmp_path: Path) -> None:
    text = _SMALL.replace(
        "<CONSOLIDATED_LIST ",
        '<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<CONSOLIDATED_LIST ",
        1,
    ).replace("ACME TRADING", "&x;")
    path = _write(tmp_path, text)
    assert looks_like_un_xml(path)
    with pytest.raises(ListParseError, match="refused"):
        parse_un_xml(path)
