"""OFAC enhanced XML: the real CONS_ENHANCED.XML (2025-01-10), small SDN-style and broken files."""

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
from screening.lists.parsers.ofac_enhanced_xml import (
    looks_like_ofac_enhanced_xml,
    parse_ofac_enhanced_xml,
)
from screening.lists.parsers.ofac_sdn_csv import parse_ofac_sdn_csv
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

NS = "{https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML}"
LIST_COLUMNS = ("programs", "countries", "addresses", "identifiers", "related")


@pytest.fixture(scope="module")
def cons_file() -> Path:
    return shared_path("sanctions", "us_ofac", "enhanced_xml", "CONS_ENHANCED.XML")


@pytest.fixture(scope="module")
def cons_table(cons_file: Path) -> pa.Table:
    return parse_ofac_enhanced_xml(cons_file)


@pytest.fixture(scope="module")
def cons(cons_table: pa.Table) -> pd.DataFrame:
    return cons_table.to_pandas()


@pytest.fixture(scope="module")
def raw_entities(cons_file: Path) -> list:
    """Independent read of the file with defusedxml's plain ElementTree."""
    return parse_xml(cons_file).getroot().findall(f"{NS}entities/{NS}entity")


def _party(cons: pd.DataFrame, entity_id: str) -> pd.DataFrame:
    return cons[cons["source_id"] == entity_id]


def _ids(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return {(i["scheme"], i["value"]) for i in rows["identifiers"].iloc[0]}


@pytest.mark.shared
def test_443_entities_one_primary_each(cons_table: pa.Table, cons: pd.DataFrame, raw_entities):
    assert cons_table.schema == LIST_ENTRY_SCHEMA
    primary = cons[cons["name_kind"] == "primary"]
    assert len(primary) == len(raw_entities) == 443  # SOURCES.md: 443 <entity>
    assert primary["source_id"].is_unique
    assert set(primary["source_id"]) == {e.get("id") for e in raw_entities}
    assert set(cons["list_version"]) == {"2025-01-10"}  # <dataAsOf>2025-01-10T00:00:00
    assert cons["listed_on"].notna().all()
    for column in LIST_COLUMNS:
        assert cons_table[column].null_count == 0, column


@pytest.mark.shared
def test_consolidated_publication_is_non_sdn_even_for_its_sdn_entries(cons: pd.DataFrame) -> None:
    # 77 entries are also on the SDN List: they say so in programs, but the file is not the SDN
    # list, so they must not replace a full SDN file when versions are merged
    assert set(cons["list_source"]) == {"us_ofac_non_sdn"}
    primary = cons[cons["name_kind"] == "primary"]
    assert primary["programs"].map(lambda p: "SDN List" in p).sum() == 77


@pytest.mark.shared
def test_entity_ids_are_the_legacy_ent_nums(cons: pd.DataFrame) -> None:
    legacy = parse_ofac_sdn_csv(shared_path("sanctions", "us_ofac", "nonsdn_cons_2025-12-19"))
    legacy_ids = set(legacy["source_id"].to_pylist())
    assert len(set(cons["source_id"]) & legacy_ids) == 442  # one entity delisted by 2025-12


@pytest.mark.shared
def test_alias_kinds_follow_alias_type_and_low_quality(cons: pd.DataFrame, raw_entities) -> None:
    low = fka = 0
    for entity in raw_entities:
        for name in entity.iterfind(f"{NS}names/{NS}name"):
            translations = len(name.findall(f"{NS}translations/{NS}translation"))
            if name.findtext(f"{NS}isLowQuality") == "true":
                low += translations
            elif name.findtext(f"{NS}aliasType") == "F.K.A.":
                fka += translations
    kinds = cons["name_kind"].value_counts()
    assert kinds["weak_alias"] == low == 71
    assert kinds["former"] == fka
    zahhar = _party(cons, "9647")
    assert zahhar.iloc[0]["name"] == "ZAHHAR, Mahmoud Khaled"
    weak = set(zahhar.loc[zahhar["name_kind"] == "weak_alias", "name"])
    assert weak == {"ZAHAR, Mahmoud", "AL-ZAHAR, Mahmoud"}
    assert "AL ZAHAR, Mahmoud Khaled" in set(zahhar.loc[zahhar["name_kind"] == "alias", "name"])


@pytest.mark.shared
def test_eximbank_names_scripts_identifiers_and_relations(cons: pd.DataFrame) -> None:
    exim = _party(cons, "18268")
    first = exim.iloc[0]
    assert (first["name"], first["name_kind"], first["entity_type"]) == (
        "EXIMBANK OF RUSSIA JSC",
        "primary",
        "entity",
    )
    aliases = set(exim.loc[exim["name_kind"] == "alias", "name"])
    # the Cyrillic translations are rows of their own, in their own script
    assert "АО РОСЭКСИМБАНК" in aliases
    full_cyrillic = (
        "ГОСУДАРСТВЕННЫЙ СПЕЦИАЛИЗИРОВАННЫЙ РОССИЙСКИЙ ЭКСПОРТНО-ИМПОРТНЫЙ БАНК "
        "АКЦИОНЕРНОЕ ОБЩЕСТВО"
    )
    assert full_cyrillic in aliases
    assert "AO ROSEKSIMBANK" in aliases
    assert _ids(exim) == {
        ("INN", "7704001959"),
        ("OGRN", "1027739109133"),
        ("LEI", "253400HA6URWT39X2982"),
        ("SWIFT_BIC", "EXIRRUMM"),
    }
    assert list(first["countries"]) == ["RU"]
    assert list(first["addresses"]) == ["12 Krasnopresnenskaya Embankments, Moscow, 123610, Russia"]
    assert list(first["related"]) == [
        "STATE CORPORATION BANK FOR DEVELOPMENT AND FOREIGN ECONOMIC AFFAIRS VNESHECONOMBANK"
    ]
    assert {"UKRAINE-EO13662", "RUSSIA-EO14024", "Sectoral Sanctions Identifications List"} <= set(
        first["programs"]
    )
    assert str(first["listed_on"]) == "2015-07-30"  # SSI list, before its 2018 SDN listing
    assert "Website: eximbank.ru" in first["remarks"]


@pytest.mark.shared
def test_russian_numbers_without_issuing_country(cons: pd.DataFrame) -> None:
    # LUKOIL: "Tax ID No. 7708004767" with no issuingCountry; the party is in Russia and the
    # number passes the INN check digit (the legacy remark says "(Russia)")
    assert _ids(_party(cons, "17248")) == {
        ("INN", "7708004767"),
        ("OGRN", "1027700035769"),
        ("OKPO", "00044434"),
    }
    # NOVATEK: the country written into the number, "1026303117642 (Russia)"
    assert _ids(_party(cons, "17064")) == {("OGRN", "1026303117642"), ("OKPO", "33556474")}


@pytest.mark.shared
def test_chinese_script_names_kept(cons: pd.DataFrame) -> None:
    megvii = _party(cons, "33091")
    assert megvii.iloc[0]["name"] == "MEGVII TECHNOLOGY LIMITED"
    assert ("旷视科技有限公司", "alias") in set(
        zip(megvii["name"], megvii["name_kind"], strict=True)
    )
    assert set(megvii.iloc[0]["countries"]) == {"KY", "CN"}


@pytest.mark.shared
def test_detector_and_cli(cons_file: Path, tmp_path: Path) -> None:
    assert looks_like_ofac_enhanced_xml(cons_file)
    assert detect_list_format(cons_file) == "us_ofac_enhanced_xml"
    assert not looks_like_ofac_enhanced_xml(
        shared_path("sanctions", "un", "UN_consolidated_2026-02-27.xml")
    )
    out = tmp_path / "x.parquet"
    result = CliRunner().invoke(cli, ["lists", "parse", str(cons_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "us_ofac_non_sdn: 443 entities" in result.output
    assert pq.read_table(out).num_rows == 1624


# --------------------------------------------------------------------------- small files

_HEAD = f"""<?xml version="1.0" encoding="utf-8"?>
<sanctionsData xmlns="{NS[1:-1]}">
  <publicationInfo>
    <dataAsOf>2025-03-04T00:00:00</dataAsOf>
    <filters><sanctionsLists><sanctionsList refId="1550">SDN List</sanctionsList></sanctionsLists>
    </filters>
  </publicationInfo>
  <referenceValues>
    <referenceValue refId="11171"><type>COUNTRY</type><value>Russia</value><isoCode>RU</isoCode>
    </referenceValue>
  </referenceValues>
  <featureTypes>
    <featureType featureTypeId="3"><type>Vessel Flag</type><detailType>COUNTRY</detailType>
    </featureType>
  </featureTypes>
  <entities>
"""
_VESSEL = """
    <entity id="50001">
      <generalInfo><identityId>1</identityId><entityType refId="602">Vessel</entityType>
      </generalInfo>
      <sanctionsLists>
        <sanctionsList refId="1550" id="1" datePublished="2024-02-23">SDN List</sanctionsList>
      </sanctionsLists>
      <sanctionsPrograms><sanctionsProgram refId="1">RUSSIA-EO14024</sanctionsProgram>
      </sanctionsPrograms>
      <names>
        <name id="1"><isPrimary>true</isPrimary><isLowQuality>false</isLowQuality>
          <translations><translation id="1"><isPrimary>true</isPrimary>
            <script refId="20122">Latin</script>
            <formattedFullName>NS CHAMPION</formattedFullName>
          </translation></translations>
        </name>
        <name id="2"><isPrimary>false</isPrimary><aliasType refId="1401">F.K.A.</aliasType>
          <isLowQuality>false</isLowQuality>
          <translations><translation id="2"><isPrimary>true</isPrimary>
            <script refId="20122">Latin</script><formattedFullName>CHAMPION</formattedFullName>
          </translation></translations>
        </name>
      </names>
      <features>
        <feature id="1"><type featureTypeId="2">Vessel Registration Identification</type>
          <value>IMO 9318096</value></feature>
        <feature id="2"><type featureTypeId="4">Vessel Call Sign</type><value>D5AB1</value>
        </feature>
        <feature id="3"><type featureTypeId="3">Vessel Flag</type><value>Russia</value>
          <valueRefId>11171</valueRefId></feature>
        <feature id="4"><type featureTypeId="5">Vessel Type</type><value>Crude Oil Tanker</value>
        </feature>
      </features>
      <relationships><relationship id="1"><type refId="1">Property of</type>
        <relatedEntity entityId="9">SOVCOMFLOT</relatedEntity></relationship></relationships>
    </entity>
    <entity id="50002">
      <generalInfo><identityId>2</identityId><entityType refId="601">Entity</entityType>
      </generalInfo>
      <sanctionsLists>
        <sanctionsList refId="91507" id="2" datePublished="2015-07-30"
          >Sectoral Sanctions Identifications List</sanctionsList>
      </sanctionsLists>
      <names>
        <name id="3"><isPrimary>true</isPrimary><isLowQuality>false</isLowQuality>
          <translations><translation id="3"><isPrimary>true</isPrimary>
            <script refId="20122">Latin</script><formattedFullName>SSI ONLY JSC</formattedFullName>
          </translation></translations>
        </name>
      </names>
    </entity>
"""
_TAIL = "  </entities>\n</sanctionsData>\n"


def _write(tmp_path: Path, text: str, name: str = "SDN_ENHANCED.XML") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sdn_publication_vessel_with_imo(tmp_path: Path) -> None:
    path = _write(tmp_path, _HEAD + _VESSEL + _TAIL)
    assert detect_list_format(path) == "us_ofac_enhanced_xml"
    table = parse_ofac_enhanced_xml(path).to_pandas()
    vessel = _party(table, "50001")
    assert list(zip(vessel["name"], vessel["name_kind"], strict=True)) == [
        ("NS CHAMPION", "primary"),
        ("CHAMPION", "former"),
    ]
    first = vessel.iloc[0]
    assert (first["list_source"], first["entity_type"]) == ("us_ofac_sdn", "vessel")
    assert _ids(vessel) == {("IMO", "9318096"), ("CALL_SIGN", "D5AB1")}
    assert list(first["countries"]) == ["RU"]
    assert list(first["related"]) == ["SOVCOMFLOT"]
    assert "Vessel Type: Crude Oil Tanker" in first["remarks"]
    assert set(table["list_version"]) == {"2025-03-04"}
    # in an SDN publication, an entity on another list only stays non-SDN
    assert _party(table, "50002").iloc[0]["list_source"] == "us_ofac_non_sdn"
    assert parse_ofac_enhanced_xml(path, list_version="v9")["list_version"][0].as_py() == "v9"


def test_truncated_file_names_line_and_last_entity(tmp_path: Path) -> None:
    text = _HEAD + _VESSEL + _TAIL
    cut = text.index('<entity id="50002">') + 200
    path = _write(tmp_path, text[:cut])
    with pytest.raises(ListParseError) as info:
        parse_ofac_enhanced_xml(path)
    message = str(info.value)
    assert message.startswith(f"{path}, row ")
    assert 'after <entity id="50001">' in message
    assert f"line {text[:cut].count(chr(10)) + 1}" in message
    assert info.value.row == text[:cut].count("\n") + 1


def test_mismatched_tag_is_reported_where_it_is(tmp_path: Path) -> None:
    text = _HEAD + _VESSEL.replace("</generalInfo>", "</general>", 1) + _TAIL
    path = _write(tmp_path, text)
    line = text[: text.index("</general>")].count("\n") + 1
    with pytest.raises(ListParseError, match=rf"line {line}, column \d+ \(mismatched tag\)"):
        parse_ofac_enhanced_xml(path)


def test_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE sanctionsData [\n <!ENTITY a "aaaaaaaaaa">\n'
        + "".join(
            f' <!ENTITY {b} "{("&" + a + ";") * 10}">\n'
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "]>\n"
        + _HEAD.split("\n", 1)[1].replace("<dataAsOf>", "<dataAsOf>&i;", 1)
        + _TAIL
    )
    path = _write(tmp_path, bomb)
    assert looks_like_ofac_enhanced_xml(path)  # detected, then refused, not silently skipped
    with pytest.raises(ListParseError, match=r"refused: .*entity-expansion") as info:
        parse_ofac_enhanced_xml(path)
    assert info.value.file == path


def test_unknown_alias_type_names_the_entity(tmp_path: Path) -> None:
    path = _write(tmp_path, _HEAD + _VESSEL.replace("F.K.A.", "W.K.A.") + _TAIL)
    with pytest.raises(ListParseError, match=r'<entity id="50001">: name 2 has aliasType'):
        parse_ofac_enhanced_xml(path)


def test_empty_publication_gives_empty_table(tmp_path: Path) -> None:
    table = parse_ofac_enhanced_xml(_write(tmp_path, _HEAD + _TAIL))
    assert table.num_rows == 0
    assert table.schema == LIST_ENTRY_SCHEMA


def test_other_xml_is_not_detected(tmp_path: Path) -> None:
    other = _write(tmp_path, '<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>\n', "sdn.xml")
    assert not looks_like_ofac_enhanced_xml(other)
    assert not looks_like_ofac_enhanced_xml(tmp_path)
